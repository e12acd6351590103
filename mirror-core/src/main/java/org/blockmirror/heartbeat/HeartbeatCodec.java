package org.blockmirror.heartbeat;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.zip.CRC32C;

import io.netty.buffer.ByteBuf;

/**
 * Encodes and decodes heartbeat datagrams, version 1. Big-endian; one datagram per heartbeat.
 *
 * <pre>
 * offset size  field
 *   0     4    magic            0x424D4842 ("BMHB")
 *   4     1    version          1
 *   5     1    type             1 = HEARTBEAT
 *   6     2    flags            0 in version 1 (bit 0 reserved: HMAC present, F23)
 *   8    16    sender unit id   UUID, most significant half first
 *  24     8    counter          unsigned, +1 per datagram from this sender
 *  32     8    sender wall ms   milliseconds since the epoch, display only
 *  40     1    sender state     LinkState wire code (1 STARTING, 2 UP, 3 DOWN, 4 PROBATION)
 *  41     1    reserved         0
 *  42     2    volume id length n, 1..255
 *  44     n    volume id        UTF-8
 *  44+n   4    CRC32C           over bytes [0, 44+n)
 * </pre>
 *
 * <p>Peer authentication (F23) will set flag bit 0 and insert an HMAC-SHA256 (32 bytes) over
 * bytes [0, 44+n) after the volume id, before the CRC; a version-1 decoder rejects any set flag,
 * so old and new units fail loudly rather than half-trusting each other.
 *
 * <p>The decoder never changes the buffer's indexes and never releases it: the caller owns it.
 */
public final class HeartbeatCodec {

    public static final int MAGIC = 0x424D4842;
    public static final int VERSION = 1;
    public static final int TYPE_HEARTBEAT = 1;
    /** Reserved for F23: an HMAC follows the volume id. Not valid in version 1. */
    public static final int FLAG_HMAC = 0x0001;

    public static final int MAX_VOLUME_ID_BYTES = 255;
    static final int VOLUME_ID_OFFSET = 44;
    static final int CRC_BYTES = 4;
    public static final int MIN_LENGTH = VOLUME_ID_OFFSET + 1 + CRC_BYTES;
    public static final int MAX_LENGTH = VOLUME_ID_OFFSET + MAX_VOLUME_ID_BYTES + CRC_BYTES;

    private HeartbeatCodec() {
    }

    /** The encoded size of a heartbeat. */
    public static int encodedLength(Heartbeat heartbeat) {
        return VOLUME_ID_OFFSET + heartbeat.volumeId().getBytes(StandardCharsets.UTF_8).length + CRC_BYTES;
    }

    /** Appends the datagram for {@code heartbeat} to {@code out}. */
    public static void encode(Heartbeat heartbeat, ByteBuf out) {
        byte[] volume = heartbeat.volumeId().getBytes(StandardCharsets.UTF_8);
        int start = out.writerIndex();
        out.writeInt(MAGIC);
        out.writeByte(VERSION);
        out.writeByte(TYPE_HEARTBEAT);
        out.writeShort(0);
        out.writeLong(heartbeat.senderUnitId().getMostSignificantBits());
        out.writeLong(heartbeat.senderUnitId().getLeastSignificantBits());
        out.writeLong(heartbeat.counter());
        out.writeLong(heartbeat.senderWallMillis());
        out.writeByte(heartbeat.senderLinkState().wireCode());
        out.writeByte(0);
        out.writeShort(volume.length);
        out.writeBytes(volume);
        out.writeInt(crc32c(out, start, out.writerIndex() - start));
    }

    /** Decodes the readable bytes of {@code in} as exactly one heartbeat datagram. */
    public static Heartbeat decode(ByteBuf in) throws MalformedHeartbeatException {
        int base = in.readerIndex();
        int length = in.readableBytes();
        if (length < MIN_LENGTH) {
            throw malformed("heartbeat datagram too short: " + length + " bytes, at least " + MIN_LENGTH + " needed");
        }
        int magic = in.getInt(base);
        if (magic != MAGIC) {
            throw malformed(String.format("not a blockmirror heartbeat: magic 0x%08X, expected 0x%08X", magic, MAGIC));
        }
        int version = in.getUnsignedByte(base + 4);
        if (version != VERSION) {
            throw malformed("unsupported heartbeat version " + version + " (this unit speaks version " + VERSION + ")");
        }
        int volumeLength = in.getUnsignedShort(base + 42);
        if (volumeLength == 0 || volumeLength > MAX_VOLUME_ID_BYTES) {
            throw malformed("heartbeat volume id length " + volumeLength + " outside 1.." + MAX_VOLUME_ID_BYTES);
        }
        int expected = VOLUME_ID_OFFSET + volumeLength + CRC_BYTES;
        if (length != expected) {
            throw malformed("heartbeat datagram is " + length + " bytes but its volume id length "
                    + volumeLength + " implies " + expected);
        }
        int storedCrc = in.getInt(base + length - CRC_BYTES);
        int actualCrc = crc32c(in, base, length - CRC_BYTES);
        if (storedCrc != actualCrc) {
            throw new MalformedHeartbeatException(RejectReason.BAD_CRC, String.format(
                    "heartbeat CRC32C mismatch: stored 0x%08X, computed 0x%08X", storedCrc, actualCrc));
        }
        // Checked after the CRC: a corrupted datagram is reported as corrupted, not as a strange field.
        int type = in.getUnsignedByte(base + 5);
        if (type != TYPE_HEARTBEAT) {
            throw malformed("unknown heartbeat datagram type " + type);
        }
        int flags = in.getUnsignedShort(base + 6);
        if (flags != 0) {
            throw malformed(String.format("heartbeat flags 0x%04X not supported in version %d%s", flags, VERSION,
                    (flags & FLAG_HMAC) != 0 ? " (HMAC-authenticated heartbeats need a newer unit)" : ""));
        }
        int reserved = in.getUnsignedByte(base + 41);
        if (reserved != 0) {
            throw malformed("heartbeat reserved byte is " + reserved + ", must be 0");
        }
        int stateCode = in.getUnsignedByte(base + 40);
        LinkState senderState = LinkState.fromWireCode(stateCode);
        if (senderState == null) {
            throw malformed("unknown sender link state code " + stateCode + " in heartbeat");
        }
        String volumeId;
        try {
            volumeId = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(in.nioBuffer(base + VOLUME_ID_OFFSET, volumeLength))
                    .toString();
        } catch (CharacterCodingException e) {
            throw malformed("heartbeat volume id is not valid UTF-8");
        }
        UUID sender = new UUID(in.getLong(base + 8), in.getLong(base + 16));
        return new Heartbeat(sender, volumeId, in.getLong(base + 24), in.getLong(base + 32), senderState);
    }

    private static int crc32c(ByteBuf buf, int index, int length) {
        CRC32C crc = new CRC32C();
        ByteBuffer nio = buf.nioBuffer(index, length);
        crc.update(nio);
        return (int) crc.getValue();
    }

    private static MalformedHeartbeatException malformed(String message) {
        return new MalformedHeartbeatException(RejectReason.MALFORMED, message);
    }
}
