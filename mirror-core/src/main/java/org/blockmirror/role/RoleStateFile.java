package org.blockmirror.role;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Objects;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.blockmirror.state.DurableStateFile;

/**
 * One volume's {@link GenerationState} on disk, in a {@link DurableStateFile} (two alternating
 * checksummed slots, so a write torn by a crash leaves the previous state). The payload adds a
 * magic, its own format version and the volume id, so a file for another volume or of another
 * kind is refused by name; the layout is in docs/roles.md ("The role state file").
 *
 * <p>Unlike the other state files this one is never silently reset: a missing or unreadable file
 * is a {@link RoleStateException}. {@link #create} makes the file atomically (temporary file,
 * rename, directory sync), so a crash during creation leaves either no file or a valid one.
 */
public final class RoleStateFile implements AutoCloseable {

    static final int MAGIC = 0x424D524C; // "BMRL"
    public static final int FORMAT_VERSION = 1;
    static final int MAX_VOLUME_ID_BYTES = 255;

    private final Path path;
    private final String volumeId;
    private final DurableStateFile file;
    private GenerationState state;

    private RoleStateFile(Path path, String volumeId, DurableStateFile file, GenerationState state) {
        this.path = path;
        this.volumeId = volumeId;
        this.file = file;
        this.state = state;
    }

    /**
     * Creates the file holding {@code initial}. Only for a volume being set up for the first time:
     * a daemon that finds the file missing for a volume that already has data must not call this.
     *
     * @throws FileAlreadyExistsException if the file exists
     */
    public static RoleStateFile create(Path path, String volumeId, GenerationState initial) throws IOException {
        byte[] payload = payload(volumeId, initial);
        if (Files.exists(path)) {
            throw new FileAlreadyExistsException(path.toString(), null, "role state file already exists");
        }
        Path dir = path.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = path.resolveSibling(path.getFileName() + ".tmp");
        Files.deleteIfExists(tmp); // left by a creation that crashed: it never became the state
        try (DurableStateFile f = DurableStateFile.open(tmp)) {
            f.write(payload);
        }
        Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE);
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true); // make the rename durable
        }
        return open(path, volumeId);
    }

    /**
     * Opens an existing file and reads its state.
     *
     * @throws RoleStateException if the file is missing, holds no valid slot, is not a role state
     *     file, is of an unknown version, or belongs to another volume; the message names the file
     */
    public static RoleStateFile open(Path path, String volumeId) throws IOException {
        Objects.requireNonNull(volumeId, "volumeId");
        if (!Files.exists(path)) {
            throw new RoleStateException(path + ": role state file for volume '" + volumeId + "' is missing."
                    + " If this unit's volume holds data, restore the file; otherwise re-initialise this unit"
                    + " as a fresh secondary, which receives the whole volume from its peer (docs/roles.md,"
                    + " 'Recovering a lost role state')");
        }
        DurableStateFile f = DurableStateFile.open(path);
        try {
            Optional<byte[]> payload = f.read();
            if (payload.isEmpty()) {
                throw new RoleStateException(path + ": no valid copy of the role state (both slots fail their"
                        + " checksum or were written by a newer version). Refusing to guess the role and"
                        + " generations, which could hide a split brain. Restore the file from a backup, or"
                        + " move it away and re-initialise this unit as a fresh secondary, which receives the"
                        + " whole volume from its peer (docs/roles.md, 'Recovering a lost role state')");
            }
            GenerationState s = parse(path, volumeId, payload.get());
            return new RoleStateFile(path, volumeId, f, s);
        } catch (IOException | RuntimeException e) {
            f.close();
            throw e;
        }
    }

    /** The state as last written (or read at open). */
    public synchronized GenerationState state() {
        return state;
    }

    /** Durably replaces the state; returns once it is on disk. */
    public synchronized void write(GenerationState next) throws IOException {
        file.write(payload(volumeId, next));
        state = next;
    }

    /**
     * Applies a transition and persists the result if it differs. Returns the new state. A
     * {@link RoleTransitionException} from the transition leaves the file untouched.
     */
    public synchronized GenerationState update(UnaryOperator<GenerationState> transition) throws IOException {
        GenerationState next = transition.apply(state);
        if (!next.equals(state)) {
            write(next);
        }
        return next;
    }

    public Path path() {
        return path;
    }

    public String volumeId() {
        return volumeId;
    }

    @Override
    public synchronized void close() throws IOException {
        file.close();
    }

    // Payload: magic u32, format version u16, volume id length u8, volume id, GenerationStateCodec bytes.
    static byte[] payload(String volumeId, GenerationState s) {
        byte[] id = volumeId.getBytes(StandardCharsets.UTF_8);
        if (id.length < 1 || id.length > MAX_VOLUME_ID_BYTES) {
            throw new IllegalArgumentException("volume id is " + id.length + " bytes of UTF-8, must be 1.."
                    + MAX_VOLUME_ID_BYTES);
        }
        byte[] encoded = GenerationStateCodec.encode(s);
        return ByteBuffer.allocate(7 + id.length + encoded.length).putInt(MAGIC).putShort((short) FORMAT_VERSION)
                .put((byte) id.length).put(id).put(encoded).array();
    }

    private static GenerationState parse(Path path, String volumeId, byte[] payload) throws RoleStateException {
        ByteBuffer b = ByteBuffer.wrap(payload);
        if (b.remaining() < 7 || b.getInt(0) != MAGIC) {
            throw new RoleStateException(path + ": not a role state file (no 'BMRL' magic)");
        }
        int version = Short.toUnsignedInt(b.getShort(4));
        if (version != FORMAT_VERSION) {
            throw new RoleStateException(path + ": role state format version " + version
                    + " is not supported (this daemon reads version " + FORMAT_VERSION + ")");
        }
        int idLength = Byte.toUnsignedInt(b.get(6));
        if (b.remaining() < 7 + idLength) {
            throw new RoleStateException(path + ": role state is truncated inside the volume id");
        }
        String storedId;
        try {
            storedId = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(b.slice(7, idLength)).toString();
        } catch (CharacterCodingException e) {
            throw new RoleStateException(path + ": the volume id in the role state is not valid UTF-8");
        }
        if (!storedId.equals(volumeId)) {
            throw new RoleStateException(path + ": role state belongs to volume '" + storedId + "', not '"
                    + volumeId + "'");
        }
        try {
            return GenerationStateCodec.decode(b.slice(7 + idLength, b.remaining() - 7 - idLength));
        } catch (GenerationStateFormatException e) {
            throw new RoleStateException(path + ": " + e.getMessage());
        }
    }
}
