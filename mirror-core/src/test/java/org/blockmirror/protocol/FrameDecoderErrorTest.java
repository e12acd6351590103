package org.blockmirror.protocol;

import static org.blockmirror.protocol.WireTestSupport.BLOCK_SIZE;
import static org.blockmirror.protocol.WireTestSupport.bytes;
import static org.blockmirror.protocol.WireTestSupport.encode;
import static org.blockmirror.protocol.WireTestSupport.patched;
import static org.blockmirror.protocol.WireTestSupport.rawFrame;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.List;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(ParanoidLeakDetection.class)
class FrameDecoderErrorTest {

    private static final int MAX_PAYLOAD = 64 * 1024;
    /**
     * Feeds {@code bad} followed by a valid frame in one buffer, expects a ProtocolException with
     * exactly {@code expectedMessage}, then checks nothing was decoded, later input is discarded
     * and every buffer was released.
     */
    private static ProtocolException assertRejected(ByteBuf bad, String expectedMessage) {
        FrameDecoder decoder = new FrameDecoder(MAX_PAYLOAD, BLOCK_SIZE);
        return assertRejected(decoder, bad, expectedMessage);
    }

    private static ProtocolException assertRejected(FrameDecoder decoder, ByteBuf bad, String expectedMessage) {
        return assertRejected(new EmbeddedChannel(decoder), decoder, bad, expectedMessage);
    }

    private static ProtocolException assertRejected(EmbeddedChannel ch, FrameDecoder decoder, ByteBuf bad,
            String expectedMessage) {
        ByteBuf good = encode(new Ack(1));
        ByteBuf input = Unpooled.buffer().writeBytes(bad).writeBytes(good);
        bad.release();
        good.release();

        ProtocolException e = assertThrows(ProtocolException.class, () -> ch.writeInbound(input));
        if (expectedMessage != null) {
            assertEquals(expectedMessage, e.getMessage());
        }
        assertNull(ch.readInbound(), "nothing decoded from or after a bad frame");
        assertTrue(decoder.failed());
        assertEquals(0, input.refCnt(), "the rest of the input was discarded and released");

        ByteBuf later = encode(new Ack(2), new Ack(3));
        ch.writeInbound(later); // no second exception: the connection is dead, input is dropped
        assertNull(ch.readInbound());
        assertEquals(0, later.refCnt());
        assertFalse(ch.finish());
        return e;
    }

    private static byte[] payloadOf(Message m) {
        ByteBuf frame = encode(m);
        byte[] all = bytes(frame);
        frame.release();
        return java.util.Arrays.copyOfRange(all, FrameHeader.LENGTH, all.length);
    }

    // ---- header -------------------------------------------------------------------------------

    @Test
    void badMagic() {
        assertRejected(rawFrame(0x12345678, 2, FrameType.ACK.code(), 0, new byte[8]),
                "bad magic 0x12345678, expected 0x424d5750 (\"BMWP\")");
    }

    @Test
    void badMagicIsRejectedFromItsFourBytesAlone() {
        EmbeddedChannel ch = new EmbeddedChannel(new FrameDecoder());
        ch.writeInbound(Unpooled.wrappedBuffer("GE".getBytes()));
        ProtocolException e = assertThrows(ProtocolException.class,
                () -> ch.writeInbound(Unpooled.wrappedBuffer("T ".getBytes())));
        assertEquals("bad magic 0x47455420, expected 0x424d5750 (\"BMWP\")", e.getMessage());
        assertNull(e.handshakeReject(), "not our protocol at all: no HELLO_REJECT");
        assertFalse(ch.finish());
    }

    @Test
    void otherVersionOnTheFirstFrameAsksForVersionMismatchReject() {
        ProtocolException e = assertRejected(rawFrame(FrameHeader.MAGIC, 3, FrameType.HELLO.code(), 0, new byte[60]),
                "unsupported protocol version 3, this peer speaks 2");
        assertEquals(RejectReason.VERSION_MISMATCH, e.handshakeReject());
    }

    @Test
    void otherVersionLaterInTheStreamIsCorruption() {
        FrameDecoder decoder = new FrameDecoder(MAX_PAYLOAD, BLOCK_SIZE);
        EmbeddedChannel ch = new EmbeddedChannel(decoder);
        ch.writeInbound(encode(new Ack(1)));
        Object first = ch.readInbound();
        assertEquals(new Ack(1), first);
        ProtocolException e = assertRejected(ch, decoder, rawFrame(FrameHeader.MAGIC, 0, FrameType.ACK.code(), 0, new byte[8]),
                "unsupported protocol version 0, this peer speaks 2");
        assertNull(e.handshakeReject());
    }

    @Test
    void unknownFrameType() {
        assertRejected(rawFrame(FrameHeader.MAGIC, 2, 99, 0, new byte[8]), "unknown frame type 99");
        assertRejected(rawFrame(FrameHeader.MAGIC, 2, 0, 0, new byte[8]), "unknown frame type 0");
    }

    @Test
    void nonZeroFlags() {
        assertRejected(rawFrame(FrameHeader.MAGIC, 2, FrameType.ACK.code(), 0x8001, payloadOf(new Ack(1))),
                "ACK frame has flags 0x8001, but protocol version 2 defines none");
    }

    @Test
    void oversizedLengthIsRejectedFromTheHeaderAloneBeforeThePayloadArrives() {
        EmbeddedChannel ch = new EmbeddedChannel(new FrameDecoder());
        ByteBuf header = Unpooled.buffer()
                .writeInt(FrameHeader.MAGIC).writeByte(FrameHeader.VERSION).writeByte(FrameType.WRITE.code()).writeShort(0)
                .writeInt(128 << 20);
        // Only 12 bytes: not even the CRC field, let alone 128 MiB of payload.
        ProtocolException e = assertThrows(ProtocolException.class, () -> ch.writeInbound(header));
        assertEquals("WRITE frame length 134217728 exceeds maximum 67108864", e.getMessage());
        assertEquals(0, header.refCnt());
        assertFalse(ch.finish());
    }

    @Test
    void lengthAtTheMaximumIsAcceptedAndWaitedFor() {
        FrameDecoder decoder = new FrameDecoder(MAX_PAYLOAD, BLOCK_SIZE);
        EmbeddedChannel ch = new EmbeddedChannel(decoder);
        ByteBuf header = Unpooled.buffer().writeInt(FrameHeader.MAGIC).writeByte(FrameHeader.VERSION)
                .writeByte(FrameType.WRITE.code()).writeShort(0).writeInt(MAX_PAYLOAD).writeInt(0);
        ch.writeInbound(header);
        assertNull(ch.readInbound());
        assertFalse(decoder.failed());
        ch.finishAndReleaseAll();

        assertRejected(rawFrame(FrameHeader.MAGIC, 2, FrameType.ACK.code(), 0, new byte[MAX_PAYLOAD + 1]),
                "ACK frame length 65537 exceeds maximum 65536");
        ByteBuf huge = Unpooled.buffer().writeInt(FrameHeader.MAGIC).writeByte(FrameHeader.VERSION)
                .writeByte(FrameType.ACK.code()).writeShort(0).writeInt(0xFFFFFFFF).writeInt(0);
        assertRejected(huge, "ACK frame length 4294967295 exceeds maximum 65536");
    }

    @Test
    void maximumPayloadArgumentIsChecked() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new FrameDecoder(10));
        assertEquals("maximum payload length 10 is not in 64..2147483631", e.getMessage());
        IllegalArgumentException b = assertThrows(IllegalArgumentException.class,
                () -> new FrameDecoder(MAX_PAYLOAD, 1000));
        assertEquals("block size 1000 is not a power of two in 512..1048576", b.getMessage());
    }

    // ---- CRC ----------------------------------------------------------------------------------

    @Test
    void everyCorruptedByteOfAFrameIsDetected() {
        for (Message m : List.of(new Ack(0x1234), new Nak(9, NakStatus.IO_ERROR, "EIO"))) {
            ByteBuf encoded = encode(m);
            byte[] frame = bytes(encoded);
            encoded.release();
            for (int i = 0; i < frame.length; i++) {
                for (int mask : new int[] {0x01, 0x80, 0xFF}) {
                    byte[] corrupt = frame.clone();
                    corrupt[i] ^= (byte) mask;
                    // Enough trailing bytes that a corrupted-but-plausible length is satisfied.
                    ByteBuf bad = Unpooled.buffer().writeBytes(corrupt).writeZero(MAX_PAYLOAD);
                    String where = m.frameType() + " byte " + i + " ^ 0x" + Integer.toHexString(mask);
                    ProtocolException e = assertRejected(bad, null);
                    if (i >= FrameHeader.CRC_OFFSET || i == FrameHeader.PAYLOAD_LENGTH_OFFSET + 3) {
                        assertTrue(e.getMessage().startsWith("CRC32C mismatch"), where + ": " + e.getMessage());
                    }
                    if (i >= FrameHeader.CRC_OFFSET) {
                        assertEquals(expectedCrcMessage(m.frameType(), corrupt, MAX_PAYLOAD), e.getMessage(), where);
                    }
                }
            }
        }
    }

    @Test
    void everyCorruptedHeaderOrFieldByteOfAWriteIsDetectedAndDataBytesAreLeftToTheDataCrc() {
        ByteBuf encoded = encode(WireTestSupport.write(7, 1));
        byte[] frame = bytes(encoded);
        encoded.release();
        int dataStart = FrameHeader.LENGTH + FrameHeader.WRITE_FIELDS_LENGTH;
        for (int i = 0; i < dataStart; i++) {
            for (int mask : new int[] {0x01, 0x80, 0xFF}) {
                byte[] corrupt = frame.clone();
                corrupt[i] ^= (byte) mask;
                ByteBuf bad = Unpooled.buffer().writeBytes(corrupt).writeZero(MAX_PAYLOAD);
                String where = "WRITE byte " + i + " ^ 0x" + Integer.toHexString(mask);
                ProtocolException e = assertRejected(bad, null);
                if (i >= FrameHeader.CRC_OFFSET) {
                    assertEquals(expectedCrcMessage(FrameType.WRITE, corrupt, MAX_PAYLOAD), e.getMessage(), where);
                }
            }
        }
        // The frame CRC stops before the data: a damaged data byte decodes, and the end-to-end
        // data CRC (checked by the remote before applying: NAK CRC_MISMATCH) is what catches it.
        for (int i = dataStart; i < frame.length; i++) {
            byte[] corrupt = frame.clone();
            corrupt[i] ^= 0x01;
            EmbeddedChannel ch = new EmbeddedChannel(new FrameDecoder(MAX_PAYLOAD, BLOCK_SIZE));
            ch.writeInbound(Unpooled.wrappedBuffer(corrupt));
            Write decoded = ch.readInbound();
            assertFalse(decoded.dataCrcMatches(), "data byte " + i);
            decoded.release();
            assertFalse(ch.finish());
        }
    }

    /** The message for a corrupt frame whose length field is intact, computed independently here. */
    private static String expectedCrcMessage(FrameType type, byte[] corrupt, int trailingZeros) {
        int payloadLength = java.nio.ByteBuffer.wrap(corrupt, 8, 4).getInt();
        int headerSays = java.nio.ByteBuffer.wrap(corrupt, 12, 4).getInt();
        byte[] withTrailing = java.util.Arrays.copyOf(corrupt, corrupt.length + trailingZeros);
        CRC32C crc = new CRC32C();
        crc.update(withTrailing, 0, 12);
        // docs/wire-protocol.md: a WRITE frame's CRC covers its 33 bytes of fixed fields, not the data
        crc.update(withTrailing, 16, type == FrameType.WRITE ? Math.min(payloadLength, 33) : payloadLength);
        return String.format("CRC32C mismatch in %s frame of payload length %d: header says 0x%08x, computed 0x%08x",
                type, payloadLength, headerSays, (int) crc.getValue());
    }

    // ---- fixed fields -------------------------------------------------------------------------

    @Test
    void truncatedFixedFields() {
        assertRejected(rawFrame(FrameType.ACK, new byte[7]), "ACK payload is 7 bytes, but exactly 8 are expected");
        assertRejected(rawFrame(FrameType.ACK, new byte[9]), "ACK payload is 9 bytes, but exactly 8 are expected");
        assertRejected(rawFrame(FrameType.HELLO_OK, new byte[40]),
                "HELLO_OK payload is 40 bytes, but exactly 41 are expected");
        ProtocolException hello = assertRejected(rawFrame(FrameType.HELLO, new byte[50]),
                "HELLO payload is 50 bytes, at least 51 needed");
        assertEquals(RejectReason.BAD_HELLO, hello.handshakeReject());
        assertRejected(rawFrame(FrameType.WRITE, new byte[32]), "WRITE payload is 32 bytes, at least 33 needed");
        assertRejected(rawFrame(FrameType.NAK, new byte[11]), "NAK payload is 11 bytes, at least 12 needed");
        assertRejected(rawFrame(FrameType.GOODBYE, new byte[3]), "GOODBYE payload is 3 bytes, at least 4 needed");
        assertRejected(rawFrame(FrameType.HELLO_REJECT, new byte[0]),
                "HELLO_REJECT payload is 0 bytes, at least 4 needed");
    }

    @Test
    void everyMessageTruncatedOrExtendedByOneByteIsRejected() {
        for (Message m : WireTestSupport.oneOfEach()) {
            byte[] payload = payloadOf(m);
            ProtocolException shorter = assertRejected(
                    rawFrame(m.frameType(), java.util.Arrays.copyOf(payload, payload.length - 1)), null);
            ProtocolException longer = assertRejected(
                    rawFrame(m.frameType(), java.util.Arrays.copyOf(payload, payload.length + 1)), null);
            assertTrue(shorter.getMessage().startsWith(m.frameType().name()), shorter.getMessage());
            assertTrue(longer.getMessage().startsWith(m.frameType().name()), longer.getMessage());
        }
    }

    @Test
    void zeroSeqIsRejected() {
        assertRejected(rawFrame(FrameType.ACK, new byte[8]), "ACK: seq 0 is not in 1..2^63-1");
        assertRejected(patched(WireTestSupport.write(3, 1), p -> p.setLong(0, 0)),
                "WRITE seq 0: seq must be in 1..2^63-1");
        assertRejected(patched(new Nak(3, NakStatus.IO_ERROR, ""), p -> p.setLong(0, -1)),
                "NAK: seq 18446744073709551615 is not in 1..2^63-1");
    }

    @Test
    void helloFieldsAreValidated() {
        ProtocolException e = assertRejected(patched(WireTestSupport.hello(0, 4), p -> p.setShort(2, 4)),
                "HELLO: connection index 4 is not below connection count 4");
        assertEquals(RejectReason.BAD_HELLO, e.handshakeReject());
        assertRejected(patched(WireTestSupport.hello(0, 4), p -> p.setInt(6, 1000)),
                "HELLO: block size 1000 is not a power of two in 512..1048576");
        assertRejected(patched(WireTestSupport.hello(0, 4), p -> p.setLong(10, 4097)),
                "HELLO: volume size 4097 is not a positive multiple of block size 4096");
        assertRejected(patched(WireTestSupport.hello(0, 4), p -> p.setByte(0, 0)),
                "HELLO: protocol version 0 is not in 1..255");
    }

    @Test
    void helloOkWithAppliedSeqAbove63BitsIsRejected() {
        HelloOk ok = new HelloOk(new java.util.UUID(1, 2), 5, 0, 0);
        assertRejected(patched(ok, p -> p.setLong(16, -2)), "HELLO_OK: applied seq 18446744073709551614 is above 2^63-1");
    }

    // ---- WRITE data length --------------------------------------------------------------------

    @Test
    void writeDataLengthMustBeBlockCountTimesBlockSize() {
        assertRejected(patched(WireTestSupport.write(42, 1), p -> p.writerIndex(p.writerIndex() - 96)),
                "WRITE seq 42: data length 4000 is not block count 1 × block size 4096");
        assertRejected(patched(WireTestSupport.write(42, 1), p -> p.setInt(25, 2)),
                "WRITE seq 42: data length 4096 is not block count 2 × block size 4096");
        assertRejected(patched(WireTestSupport.write(42, 1), p -> p.setInt(25, 0)),
                "WRITE seq 42: block count 0 is not in 1..2^31-1");
        assertRejected(patched(Write.trim(42, 0, 0, 1), p -> p.setInt(25, -1)),
                "WRITE seq 42: block count 4294967295 is not in 1..2^31-1");
        assertRejected(new FrameDecoder(MAX_PAYLOAD, 512), encode(WireTestSupport.write(42, 1)),
                "WRITE seq 42: data length 4096 is not block count 1 × block size 512");
    }

    @Test
    void trimMustCarryNoData() {
        assertRejected(patched(WireTestSupport.write(9, 1), p -> p.setByte(16, RecordType.TRIM.code())),
                "WRITE seq 9: TRIM carries 4096 bytes of data, must carry none");
    }

    @Test
    void writeBeforeTheBlockSizeIsKnownIsRejected() {
        assertRejected(new FrameDecoder(MAX_PAYLOAD), encode(WireTestSupport.write(1, 1)),
                "WRITE seq 1 arrived before the handshake set the block size");

        FrameDecoder decoder = new FrameDecoder(MAX_PAYLOAD);
        EmbeddedChannel ch = new EmbeddedChannel(decoder);
        decoder.expectBlockSize(BLOCK_SIZE);
        ch.writeInbound(encode(WireTestSupport.write(1, 1)));
        Write w = ch.readInbound();
        assertEquals(1, w.seq());
        w.release();
        assertFalse(ch.finish());
    }

    @Test
    void negativeLbaIsRejected() {
        assertRejected(patched(WireTestSupport.write(5, 1), p -> p.setLong(17, Long.MIN_VALUE)),
                "WRITE seq 5: LBA 9223372036854775808 is above 2^63-1");
    }

    // ---- strings ------------------------------------------------------------------------------

    @Test
    void badStringLengths() {
        assertRejected(patched(new Nak(7, NakStatus.IO_ERROR, "disk on fire"), p -> p.setShort(10, 2000)),
                "NAK: message length 2000 exceeds maximum 1024");
        assertRejected(patched(new Nak(7, NakStatus.IO_ERROR, "disk on fire"), p -> p.setShort(10, 9)),
                "NAK payload is 24 bytes, but message length 9 needs exactly 21");
        assertRejected(patched(new Goodbye(GoodbyeReason.SHUTDOWN, "bye"), p -> p.setShort(2, 4)),
                "GOODBYE payload is 7 bytes, but message length 4 needs exactly 8");
        assertRejected(patched(new HelloReject(RejectReason.BUSY, "busy"), p -> p.setShort(2, 0)),
                "HELLO_REJECT payload is 8 bytes, but message length 0 needs exactly 4");
        ProtocolException e = assertRejected(patched(WireTestSupport.hello(1, 2), p -> p.setByte(50, 200)),
                "HELLO payload is 57 bytes, but volume id length 200 needs exactly 251");
        assertEquals(RejectReason.BAD_HELLO, e.handshakeReject());
        assertRejected(patched(WireTestSupport.hello(1, 2), p -> {
            p.setByte(50, 0);
            p.writerIndex(51);
        }), "HELLO: volume id is 0 bytes of UTF-8, must be 1..255");
    }

    @Test
    void invalidUtf8IsRejected() {
        assertRejected(patched(new Goodbye(GoodbyeReason.SHUTDOWN, "bye"), p -> p.setByte(5, 0xC3)),
                "GOODBYE: message is not valid UTF-8");
        assertRejected(patched(WireTestSupport.hello(1, 2), p -> p.setByte(51, 0xFF)),
                "HELLO: volume id is not valid UTF-8");
    }

    // ---- enum codes ---------------------------------------------------------------------------

    @Test
    void unknownEnumCodes() {
        assertRejected(patched(WireTestSupport.hello(0, 1), p -> p.setByte(1, 9)), "HELLO: unknown ack mode 9");
        assertRejected(patched(new HelloReject(RejectReason.BUSY, "x"), p -> p.setShort(0, 99)),
                "HELLO_REJECT: unknown reject reason 99");
        assertRejected(patched(new Nak(4, NakStatus.IO_ERROR, "x"), p -> p.setShort(8, 0)),
                "NAK seq 4: unknown status 0");
        assertRejected(patched(new Goodbye(GoodbyeReason.SHUTDOWN, "x"), p -> p.setShort(0, 77)),
                "GOODBYE: unknown reason 77");
        assertRejected(patched(WireTestSupport.write(8, 1), p -> p.setByte(16, 3)),
                "WRITE seq 8: unknown record type 3");
    }
}
