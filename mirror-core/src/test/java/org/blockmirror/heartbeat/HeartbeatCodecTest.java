package org.blockmirror.heartbeat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.zip.CRC32C;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;

class HeartbeatCodecTest {

    private static final UUID UNIT = UUID.fromString("0b5e4b8e-8f1c-4d0a-9a57-3f2f1c0de001");
    private ByteBuf buf;

    @AfterEach
    void release() {
        if (buf != null && buf.refCnt() > 0) {
            buf.release();
        }
    }

    private ByteBuf encode(Heartbeat hb) {
        buf = Unpooled.buffer();
        HeartbeatCodec.encode(hb, buf);
        return buf;
    }

    private static Heartbeat sample() {
        return new Heartbeat(UNIT, "vol-a", 42, 1_700_000_123_456L, LinkState.PROBATION);
    }

    private static void fixCrc(ByteBuf b) {
        int len = b.readableBytes();
        CRC32C crc = new CRC32C();
        crc.update(b.nioBuffer(0, len - 4));
        b.setInt(len - 4, (int) crc.getValue());
    }

    private static MalformedHeartbeatException rejected(ByteBuf b) {
        return assertThrows(MalformedHeartbeatException.class, () -> HeartbeatCodec.decode(b));
    }

    private static void assertMalformed(ByteBuf b, String message) {
        MalformedHeartbeatException e = rejected(b);
        assertEquals(RejectReason.MALFORMED, e.reason());
        assertEquals(message, e.getMessage());
    }

    @Test
    void roundTripsEveryStateAndExtremeValues() throws Exception {
        for (LinkState state : LinkState.values()) {
            Heartbeat hb = new Heartbeat(UNIT, "vol-a", -1L /* 2^64-1 unsigned */, Long.MIN_VALUE, state);
            assertEquals(hb, HeartbeatCodec.decode(encode(hb)));
            buf.release();
        }
        Heartbeat longest = new Heartbeat(UUID.randomUUID(), "é".repeat(127) + "x", 0, 0, LinkState.UP);
        ByteBuf b = encode(longest);
        assertEquals(HeartbeatCodec.MAX_LENGTH, b.readableBytes());
        assertEquals(HeartbeatCodec.encodedLength(longest), b.readableBytes());
        assertEquals(longest, HeartbeatCodec.decode(b));
    }

    @Test
    void layoutIsTheDocumentedOne() {
        ByteBuf b = encode(sample());
        ByteBuffer expected = ByteBuffer.allocate(44 + 5 + 4);
        expected.putInt(0x424D4842).put((byte) 1).put((byte) 1).putShort((short) 0)
                .putLong(UNIT.getMostSignificantBits()).putLong(UNIT.getLeastSignificantBits())
                .putLong(42).putLong(1_700_000_123_456L).put((byte) 4).put((byte) 0)
                .putShort((short) 5).put("vol-a".getBytes(StandardCharsets.US_ASCII));
        CRC32C crc = new CRC32C();
        crc.update(expected.array(), 0, expected.position());
        expected.putInt((int) crc.getValue());
        assertArrayEquals(expected.array(), ByteBufUtil.getBytes(b));
        assertEquals("BMHB", b.toString(0, 4, StandardCharsets.US_ASCII));
    }

    @Test
    void decodeRespectsReaderIndexAndLeavesTheBufferAlone() throws Exception {
        buf = Unpooled.buffer();
        buf.writeBytes(new byte[] {9, 9, 9});
        buf.readerIndex(3);
        HeartbeatCodec.encode(sample(), buf);
        assertEquals(sample(), HeartbeatCodec.decode(buf));
        assertEquals(3, buf.readerIndex());
        assertEquals(1, buf.refCnt());
    }

    @Test
    void tooShortIsRejected() {
        buf = Unpooled.wrappedBuffer(new byte[10]);
        assertMalformed(buf, "heartbeat datagram too short: 10 bytes, at least 49 needed");
        buf.release();
        buf = Unpooled.buffer();
        assertMalformed(buf, "heartbeat datagram too short: 0 bytes, at least 49 needed");
    }

    @Test
    void wrongMagicIsRejected() {
        ByteBuf b = encode(sample());
        b.setInt(0, 0x47455420); // "GET " : some other protocol on our port
        assertMalformed(b, "not a blockmirror heartbeat: magic 0x47455420, expected 0x424D4842");
    }

    @Test
    void unknownVersionIsRejected() {
        ByteBuf b = encode(sample());
        b.setByte(4, 2);
        fixCrc(b);
        assertMalformed(b, "unsupported heartbeat version 2 (this unit speaks version 1)");
    }

    @Test
    void volumeIdLengthOutOfRangeIsRejected() {
        ByteBuf b = encode(sample());
        b.setShort(42, 0);
        assertMalformed(b, "heartbeat volume id length 0 outside 1..255");
        b.setShort(42, 256);
        assertMalformed(b, "heartbeat volume id length 256 outside 1..255");
    }

    @Test
    void lengthInconsistentWithVolumeIdLengthIsRejected() {
        ByteBuf b = encode(sample());
        b.writeByte(0); // trailing garbage
        assertMalformed(b, "heartbeat datagram is 54 bytes but its volume id length 5 implies 53");
        b.writerIndex(b.writerIndex() - 2); // truncated
        assertMalformed(b, "heartbeat datagram is 52 bytes but its volume id length 5 implies 53");
    }

    @Test
    void anyCorruptedByteIsCaughtByTheCrc() {
        ByteBuf clean = encode(sample());
        int len = clean.readableBytes();
        // Bytes 0..4 (magic, version) and 42..43 (volume length) are reported as malformed
        // before the CRC is checked; every other byte is covered by the CRC.
        for (int i = 5; i < len; i++) {
            if (i == 42 || i == 43) {
                continue;
            }
            ByteBuf b = clean.copy();
            try {
                b.setByte(i, b.getByte(i) ^ 0x10);
                MalformedHeartbeatException e = rejected(b);
                assertEquals(RejectReason.BAD_CRC, e.reason(), "byte " + i + ": " + e.getMessage());
                assertTrue(e.getMessage().startsWith("heartbeat CRC32C mismatch: stored 0x"), e.getMessage());
            } finally {
                b.release();
            }
        }
    }

    @Test
    void unknownTypeIsRejected() {
        ByteBuf b = encode(sample());
        b.setByte(5, 7);
        fixCrc(b);
        assertMalformed(b, "unknown heartbeat datagram type 7");
    }

    @Test
    void flagsAreRejectedInVersionOneIncludingTheReservedHmacFlag() {
        ByteBuf b = encode(sample());
        b.setShort(6, HeartbeatCodec.FLAG_HMAC);
        fixCrc(b);
        assertMalformed(b, "heartbeat flags 0x0001 not supported in version 1"
                + " (HMAC-authenticated heartbeats need a newer unit)");
        b.setShort(6, 0x8000);
        fixCrc(b);
        assertMalformed(b, "heartbeat flags 0x8000 not supported in version 1");
    }

    @Test
    void nonZeroReservedByteIsRejected() {
        ByteBuf b = encode(sample());
        b.setByte(41, 1);
        fixCrc(b);
        assertMalformed(b, "heartbeat reserved byte is 1, must be 0");
    }

    @Test
    void unknownLinkStateCodeIsRejected() {
        ByteBuf b = encode(sample());
        for (int code : new int[] {0, 5, 255}) {
            b.setByte(40, code);
            fixCrc(b);
            assertMalformed(b, "unknown sender link state code " + code + " in heartbeat");
        }
    }

    @Test
    void invalidUtf8VolumeIdIsRejected() {
        ByteBuf b = encode(sample());
        b.setByte(44, 0xC3); // start of a two-byte sequence ...
        b.setByte(45, 0x28); // ... followed by a non-continuation byte
        fixCrc(b);
        assertMalformed(b, "heartbeat volume id is not valid UTF-8");
    }

    @Test
    void heartbeatRejectsVolumeIdsThatCannotBeEncoded() {
        IllegalArgumentException empty = assertThrows(IllegalArgumentException.class,
                () -> new Heartbeat(UNIT, "", 1, 0, LinkState.UP));
        assertEquals("volume id must not be empty", empty.getMessage());
        IllegalArgumentException tooLong = assertThrows(IllegalArgumentException.class,
                () -> new Heartbeat(UNIT, "é".repeat(128), 1, 0, LinkState.UP));
        assertEquals("volume id is 256 UTF-8 bytes; at most 255 fit in a heartbeat", tooLong.getMessage());
    }
}
