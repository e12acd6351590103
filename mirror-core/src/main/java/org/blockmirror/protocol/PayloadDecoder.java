package org.blockmirror.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.CharacterCodingException;
import java.util.UUID;

/**
 * Parses a frame payload whose framing and CRC are already checked into a {@link Message}.
 * Layouts must match {@link FrameEncoder}; both are written down in docs/wire-protocol.md.
 * Every violation is a {@link ProtocolException} saying which field had which value.
 */
final class PayloadDecoder {

    static final int HELLO_FIXED_LENGTH = 51;
    static final int HELLO_OK_LENGTH = 41;
    static final int HELLO_REJECT_FIXED_LENGTH = 4;
    static final int WRITE_FIXED_LENGTH = FrameEncoder.WRITE_FIELDS_LENGTH;
    static final int ACK_LENGTH = 8;
    static final int NAK_FIXED_LENGTH = 12;
    static final int GOODBYE_FIXED_LENGTH = 4;
    static final int VERIFY_LENGTH = 12;
    static final int VERIFY_REPLY_LENGTH = 17;

    private PayloadDecoder() {
    }

    /**
     * @param payload exactly the frame's payload; read with absolute indices from 0, never retained
     *     except for WRITE data
     * @param blockSize the connection's block size, 0 if not known yet
     */
    static Message decode(FrameType type, ByteBuf payload, int blockSize) {
        return switch (type) {
            case HELLO -> hello(payload);
            case HELLO_OK -> helloOk(payload);
            case HELLO_REJECT -> helloReject(payload);
            case WRITE -> write(payload, blockSize);
            case ACK -> ack(payload);
            case NAK -> nak(payload);
            case GOODBYE -> goodbye(payload);
            case VERIFY -> verify(payload);
            case VERIFY_REPLY -> verifyReply(payload);
            case GENERATIONS -> generations(payload);
            case ROLE_REJECT -> roleReject(payload);
            case ROLE_REVERSE -> new RoleReverse(stateOnly(FrameType.ROLE_REVERSE, payload));
            case ROLE_REVERSE_OK -> new RoleReverseOk(stateOnly(FrameType.ROLE_REVERSE_OK, payload));
            case REMIRROR_BEGIN, REMIRROR_READY, RANGE_SUMS, RANGE_DIFF, BLOCK_SUMS, BLOCK_DIFF, REMIRROR_DATA,
                 REMIRROR_ACK, REMIRROR_DONE, REMIRROR_DONE_ACK -> RemirrorPayloads.decode(type, payload, blockSize);
            case READ -> read(payload);
            case READ_DATA -> readData(payload, blockSize);
        };
    }

    private static Hello hello(ByteBuf p) {
        requireAtLeast(FrameType.HELLO, p, HELLO_FIXED_LENGTH, RejectReason.BAD_HELLO);
        int idLength = p.getUnsignedByte(50);
        requireExactly(FrameType.HELLO, p, HELLO_FIXED_LENGTH + idLength, "volume id length " + idLength,
                RejectReason.BAD_HELLO);
        int ackCode = p.getUnsignedByte(1);
        AckMode ackMode = AckMode.fromCode(ackCode);
        if (ackMode == null) {
            throw new ProtocolException("HELLO: unknown ack mode " + ackCode, RejectReason.BAD_HELLO);
        }
        String volumeId = utf8(FrameType.HELLO, "volume id", p, HELLO_FIXED_LENGTH, idLength, RejectReason.BAD_HELLO);
        try {
            return new Hello(
                    p.getUnsignedByte(0),
                    uuid(p, 34),
                    volumeId,
                    p.getLong(10),
                    p.getInt(6),
                    p.getLong(18),
                    p.getLong(26),
                    p.getUnsignedShort(2),
                    p.getUnsignedShort(4),
                    ackMode);
        } catch (IllegalArgumentException e) {
            throw new ProtocolException("HELLO: " + e.getMessage(), RejectReason.BAD_HELLO);
        }
    }

    private static HelloOk helloOk(ByteBuf p) {
        requireExactly(FrameType.HELLO_OK, p, HELLO_OK_LENGTH, null, null);
        try {
            int stateCode = p.getUnsignedByte(40);
            RemoteSyncState state = RemoteSyncState.fromCode(stateCode);
            if (state == null) {
                throw new ProtocolException("HELLO_OK: unknown sync state " + stateCode);
            }
            return new HelloOk(uuid(p, 0), p.getLong(16), p.getLong(24), p.getLong(32), state);
        } catch (IllegalArgumentException e) {
            throw new ProtocolException("HELLO_OK: " + e.getMessage());
        }
    }

    private static HelloReject helloReject(ByteBuf p) {
        requireAtLeast(FrameType.HELLO_REJECT, p, HELLO_REJECT_FIXED_LENGTH, null);
        int code = p.getUnsignedShort(0);
        RejectReason reason = RejectReason.fromCode(code);
        if (reason == null) {
            throw new ProtocolException("HELLO_REJECT: unknown reject reason " + code);
        }
        return new HelloReject(reason, message(FrameType.HELLO_REJECT, p, 2));
    }

    private static Write write(ByteBuf p, int blockSize) {
        requireAtLeast(FrameType.WRITE, p, WRITE_FIXED_LENGTH, null);
        long seq = p.getLong(0);
        long timestamp = p.getLong(8);
        int typeCode = p.getUnsignedByte(16);
        long lba = p.getLong(17);
        long blockCount = p.getUnsignedInt(25);
        int dataCrc = p.getInt(29);
        String what = "WRITE seq " + Long.toUnsignedString(seq);

        RecordType recordType = RecordType.fromCode(typeCode);
        if (recordType == null) {
            throw new ProtocolException(what + ": unknown record type " + typeCode);
        }
        if (blockSize == 0) {
            throw new ProtocolException(what + " arrived before the handshake set the block size");
        }
        if (blockCount == 0 || blockCount > Integer.MAX_VALUE) {
            throw new ProtocolException(what + ": block count " + blockCount + " is not in 1..2^31-1");
        }
        long dataLength = p.readableBytes() - WRITE_FIXED_LENGTH;
        if (recordType == RecordType.WRITE && dataLength != blockCount * blockSize) {
            throw new ProtocolException(what + ": data length " + dataLength + " is not block count "
                    + blockCount + " × block size " + blockSize);
        }
        if (recordType == RecordType.TRIM && dataLength != 0) {
            throw new ProtocolException(what + ": TRIM carries " + dataLength + " bytes of data, must carry none");
        }
        if (seq < 1) {
            throw new ProtocolException(what + ": seq must be in 1..2^63-1");
        }
        if (lba < 0) {
            throw new ProtocolException(what + ": LBA " + Long.toUnsignedString(lba) + " is above 2^63-1");
        }
        // Every field is checked above, so the constructor cannot throw with the data retained.
        ByteBuf data = dataLength == 0 ? Unpooled.EMPTY_BUFFER
                : p.retainedSlice(WRITE_FIXED_LENGTH, (int) dataLength);
        return new Write(seq, timestamp, recordType, lba, (int) blockCount, dataCrc, data);
    }

    private static Ack ack(ByteBuf p) {
        requireExactly(FrameType.ACK, p, ACK_LENGTH, null, null);
        long seq = p.getLong(0);
        if (seq < 1) {
            throw new ProtocolException("ACK: seq " + Long.toUnsignedString(seq) + " is not in 1..2^63-1");
        }
        return new Ack(seq);
    }

    private static Nak nak(ByteBuf p) {
        requireAtLeast(FrameType.NAK, p, NAK_FIXED_LENGTH, null);
        long seq = p.getLong(0);
        if (seq < 1) {
            throw new ProtocolException("NAK: seq " + Long.toUnsignedString(seq) + " is not in 1..2^63-1");
        }
        int code = p.getUnsignedShort(8);
        NakStatus status = NakStatus.fromCode(code);
        if (status == null) {
            throw new ProtocolException("NAK seq " + seq + ": unknown status " + code);
        }
        return new Nak(seq, status, message(FrameType.NAK, p, 10));
    }

    private static Goodbye goodbye(ByteBuf p) {
        requireAtLeast(FrameType.GOODBYE, p, GOODBYE_FIXED_LENGTH, null);
        int code = p.getUnsignedShort(0);
        GoodbyeReason reason = GoodbyeReason.fromCode(code);
        if (reason == null) {
            throw new ProtocolException("GOODBYE: unknown reason " + code);
        }
        return new Goodbye(reason, message(FrameType.GOODBYE, p, 2));
    }

    private static Verify verify(ByteBuf p) {
        requireExactly(FrameType.VERIFY, p, VERIFY_LENGTH, null, null);
        long seq = p.getLong(0);
        if (seq < 1) {
            throw new ProtocolException("VERIFY: seq " + Long.toUnsignedString(seq) + " is not in 1..2^63-1");
        }
        return new Verify(seq, p.getInt(8));
    }

    private static VerifyReply verifyReply(ByteBuf p) {
        requireExactly(FrameType.VERIFY_REPLY, p, VERIFY_REPLY_LENGTH, null, null);
        long seq = p.getLong(0);
        if (seq < 1) {
            throw new ProtocolException("VERIFY_REPLY: seq " + Long.toUnsignedString(seq) + " is not in 1..2^63-1");
        }
        int code = p.getUnsignedByte(8);
        Verdict verdict = Verdict.fromCode(code);
        if (verdict == null) {
            throw new ProtocolException("VERIFY_REPLY seq " + seq + ": unknown verdict " + code);
        }
        int remoteCrc = p.getInt(9);
        int localCrc = p.getInt(13);
        String problem = VerifyReply.inconsistency(verdict, remoteCrc, localCrc);
        if (problem != null) {
            throw new ProtocolException("VERIFY_REPLY seq " + seq + ": " + problem);
        }
        return new VerifyReply(seq, verdict, remoteCrc, localCrc);
    }

    private static Read read(ByteBuf p) {
        requireExactly(FrameType.READ, p, Read.LENGTH, null, null);
        long requestId = p.getLong(0);
        long seeSeq = p.getLong(8);
        long lba = p.getLong(16);
        long blockCount = p.getUnsignedInt(24);
        long waitMillis = p.getUnsignedInt(28);
        String what = "READ request " + Long.toUnsignedString(requestId);
        if (seeSeq < 0) {
            throw new ProtocolException(what + ": seq to see " + Long.toUnsignedString(seeSeq) + " is above 2^63-1");
        }
        if (lba < 0) {
            throw new ProtocolException(what + ": LBA " + Long.toUnsignedString(lba) + " is above 2^63-1");
        }
        if (blockCount == 0 || blockCount > Integer.MAX_VALUE) {
            throw new ProtocolException(what + ": block count " + blockCount + " is not in 1..2^31-1");
        }
        if (waitMillis > Integer.MAX_VALUE) {
            throw new ProtocolException(what + ": wait " + waitMillis + " ms is not in 0..2^31-1");
        }
        return new Read(requestId, seeSeq, lba, (int) blockCount, (int) waitMillis);
    }

    private static ReadData readData(ByteBuf p, int blockSize) {
        requireAtLeast(FrameType.READ_DATA, p, ReadData.FIELDS_LENGTH, null);
        long requestId = p.getLong(0);
        int code = p.getUnsignedByte(8);
        long appliedSeq = p.getLong(9);
        int dataCrc = p.getInt(17);
        int dataLength = p.readableBytes() - ReadData.FIELDS_LENGTH;
        String what = "READ_DATA request " + Long.toUnsignedString(requestId);
        ReadStatus status = ReadStatus.fromCode(code);
        if (status == null) {
            throw new ProtocolException(what + ": unknown status " + code);
        }
        if (appliedSeq < 0) {
            throw new ProtocolException(what + ": applied seq " + Long.toUnsignedString(appliedSeq) + " is above 2^63-1");
        }
        String problem = ReadData.inconsistency(status, dataLength, dataCrc);
        if (problem != null) {
            throw new ProtocolException(what + ": " + problem);
        }
        if (status == ReadStatus.OK) {
            if (blockSize == 0) {
                throw new ProtocolException(what + " arrived before the handshake set the block size");
            }
            if (dataLength % blockSize != 0) {
                throw new ProtocolException(what + ": data length " + dataLength
                        + " is not a whole number of " + blockSize + "-byte blocks");
            }
        }
        // Every field is checked above, so the constructor cannot throw with the data retained.
        ByteBuf data = dataLength == 0 ? Unpooled.EMPTY_BUFFER : p.retainedSlice(ReadData.FIELDS_LENGTH, dataLength);
        return new ReadData(requestId, status, appliedSeq, dataCrc, data);
    }

    private static Generations generations(ByteBuf p) {
        requireAtLeast(FrameType.GENERATIONS, p, 2, null);
        int flags = p.getUnsignedByte(0);
        if ((flags & ~Generations.KNOWN_FLAGS) != 0) {
            throw new ProtocolException(String.format("GENERATIONS: unknown flag bits 0x%02x", flags & ~Generations.KNOWN_FLAGS));
        }
        int length = p.getUnsignedByte(1);
        requireExactly(FrameType.GENERATIONS, p, 2 + length, "state length " + length, null);
        return new Generations(flags, state(FrameType.GENERATIONS, p, 2, length));
    }

    private static RoleReject roleReject(ByteBuf p) {
        requireAtLeast(FrameType.ROLE_REJECT, p, 4, null);
        int code = p.getUnsignedByte(0);
        RoleRejectReason reason = RoleRejectReason.fromCode(code);
        if (reason == null) {
            throw new ProtocolException("ROLE_REJECT: unknown reason " + code);
        }
        int length = p.getUnsignedByte(1);
        requireAtLeast(FrameType.ROLE_REJECT, p, 4 + length, null);
        return new RoleReject(reason, state(FrameType.ROLE_REJECT, p, 2, length),
                message(FrameType.ROLE_REJECT, p, 2 + length));
    }

    private static org.blockmirror.role.GenerationState stateOnly(FrameType type, ByteBuf p) {
        requireAtLeast(type, p, 1, null);
        int length = p.getUnsignedByte(0);
        requireExactly(type, p, 1 + length, "state length " + length, null);
        return state(type, p, 1, length);
    }

    private static org.blockmirror.role.GenerationState state(FrameType type, ByteBuf p, int offset, int length) {
        try {
            return org.blockmirror.role.GenerationStateCodec.decode(p.nioBuffer(offset, length));
        } catch (org.blockmirror.role.GenerationStateFormatException e) {
            throw new ProtocolException(type + ": " + e.getMessage());
        }
    }

    /** A u16-length-prefixed message at {@code offset} that must end the payload exactly. */
    static String message(FrameType type, ByteBuf p, int offset) {
        int length = p.getUnsignedShort(offset);
        if (length > WireStrings.MAX_MESSAGE_BYTES) {
            throw new ProtocolException(type + ": message length " + length + " exceeds maximum "
                    + WireStrings.MAX_MESSAGE_BYTES);
        }
        requireExactly(type, p, offset + 2 + length, "message length " + length, null);
        return utf8(type, "message", p, offset + 2, length, null);
    }

    static void requireAtLeast(FrameType type, ByteBuf p, int min, RejectReason reject) {
        if (p.readableBytes() < min) {
            throw new ProtocolException(type + " payload is " + p.readableBytes()
                    + " bytes, at least " + min + " needed", reject);
        }
    }

    static void requireExactly(FrameType type, ByteBuf p, int expected, String because, RejectReason reject) {
        if (p.readableBytes() != expected) {
            throw new ProtocolException(type + " payload is " + p.readableBytes() + " bytes, but "
                    + (because == null ? "" : because + " needs ") + "exactly " + expected
                    + (because == null ? " are expected" : ""), reject);
        }
    }

    static String utf8(FrameType type, String field, ByteBuf p, int offset, int length, RejectReason reject) {
        try {
            return WireStrings.decodeUtf8(p.nioBuffer(offset, length));
        } catch (CharacterCodingException e) {
            throw new ProtocolException(type + ": " + field + " is not valid UTF-8", reject);
        }
    }

    private static UUID uuid(ByteBuf p, int offset) {
        return new UUID(p.getLong(offset), p.getLong(offset + 8));
    }
}
