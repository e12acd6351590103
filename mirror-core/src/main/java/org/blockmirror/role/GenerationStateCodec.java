package org.blockmirror.role;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import org.blockmirror.role.GenerationState.Flag;

/**
 * The byte form of a {@link GenerationState}, shared by {@link RoleStateFile} and (later) the
 * handshake. Big-endian; layout in docs/roles.md ("GenerationState encoding"):
 *
 * <pre>
 *  0  u8   encoding version (1)
 *  1  u8   role (1 PRIMARY, 2 SECONDARY)
 *  2  u16  flags (bit 0 DETACHED, 1 INCONSISTENT, 2 DISCARD_LOCAL, 3 KEEP_LOCAL; others must be 0)
 *  4  u64  current generation (0 = none)
 * 12  u64  agreed generation (0 = none)
 * 20  u8   history count n (0..4)
 * 21  8n   history, newest first
 * </pre>
 */
public final class GenerationStateCodec {

    public static final int VERSION = 1;
    static final int FIXED_LENGTH = 21;
    public static final int MAX_LENGTH = FIXED_LENGTH + 8 * GenerationState.HISTORY_LIMIT;

    private GenerationStateCodec() {
    }

    public static byte[] encode(GenerationState s) {
        ByteBuffer b = ByteBuffer.allocate(FIXED_LENGTH + 8 * s.history().size());
        int flags = 0;
        for (Flag f : s.flags()) {
            flags |= f.bit();
        }
        b.put((byte) VERSION).put((byte) s.role().code()).putShort((short) flags)
                .putLong(s.current().value()).putLong(s.agreed().value()).put((byte) s.history().size());
        for (GenerationId g : s.history()) {
            b.putLong(g.value());
        }
        return b.array();
    }

    /**
     * Decodes exactly the remaining bytes of {@code in} (consuming them on success).
     *
     * @throws GenerationStateFormatException naming the first thing that is wrong
     */
    public static GenerationState decode(ByteBuffer in) {
        ByteBuffer b = in.slice();
        int length = b.remaining();
        if (length < 1) {
            throw new GenerationStateFormatException("generation state is empty");
        }
        int version = Byte.toUnsignedInt(b.get(0));
        if (version != VERSION) {
            throw new GenerationStateFormatException("generation state encoding version " + version
                    + " is not supported (this unit reads version " + VERSION + ")");
        }
        if (length < FIXED_LENGTH) {
            throw new GenerationStateFormatException("generation state is " + length + " bytes, at least "
                    + FIXED_LENGTH + " needed");
        }
        int roleCode = Byte.toUnsignedInt(b.get(1));
        Role role = Role.fromCode(roleCode);
        if (role == null) {
            throw new GenerationStateFormatException("generation state: unknown role " + roleCode);
        }
        int flagBits = Short.toUnsignedInt(b.getShort(2));
        EnumSet<Flag> flags = EnumSet.noneOf(Flag.class);
        int known = 0;
        for (Flag f : Flag.values()) {
            known |= f.bit();
            if ((flagBits & f.bit()) != 0) {
                flags.add(f);
            }
        }
        if ((flagBits & ~known) != 0) {
            throw new GenerationStateFormatException(String.format(
                    "generation state: unknown flag bits 0x%04x", flagBits & ~known));
        }
        int count = Byte.toUnsignedInt(b.get(20));
        if (count > GenerationState.HISTORY_LIMIT) {
            throw new GenerationStateFormatException("generation state: history count " + count + " exceeds "
                    + GenerationState.HISTORY_LIMIT);
        }
        if (length != FIXED_LENGTH + 8 * count) {
            throw new GenerationStateFormatException("generation state is " + length + " bytes, but history count "
                    + count + " needs exactly " + (FIXED_LENGTH + 8 * count));
        }
        List<GenerationId> history = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            history.add(new GenerationId(b.getLong(FIXED_LENGTH + 8 * i)));
        }
        GenerationState s;
        try {
            s = new GenerationState(role, new GenerationId(b.getLong(4)), new GenerationId(b.getLong(12)), history, flags);
        } catch (IllegalArgumentException e) {
            throw new GenerationStateFormatException("generation state is inconsistent: " + e.getMessage());
        }
        in.position(in.position() + length);
        return s;
    }
}
