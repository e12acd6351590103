package org.blockmirror.protocol;

import static org.blockmirror.protocol.WireTestSupport.BLOCK_SIZE;
import static org.blockmirror.protocol.WireTestSupport.bytes;
import static org.blockmirror.protocol.WireTestSupport.data;
import static org.blockmirror.protocol.WireTestSupport.decode;
import static org.blockmirror.protocol.WireTestSupport.encode;
import static org.blockmirror.protocol.WireTestSupport.patched;
import static org.blockmirror.protocol.WireTestSupport.rawFrame;
import static org.blockmirror.protocol.WireTestSupport.releaseAll;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * READ (type 30) and READ_DATA (type 31), the fail-over frames: the layouts of
 * docs/wire-protocol.md §4.11/§4.12, round trips, the CRC coverage, and every malformed variant
 * refused with a clear message.
 */
@ExtendWith(ParanoidLeakDetection.class)
class ReadFramesTest {

    private static FrameDecoder decoder() {
        return new FrameDecoder(FrameHeader.DEFAULT_MAX_PAYLOAD, BLOCK_SIZE);
    }

    private static void assertRejected(FrameDecoder decoder, ByteBuf frame, String message) {
        EmbeddedChannel ch = new EmbeddedChannel(decoder);
        ProtocolException e = assertThrows(ProtocolException.class, () -> ch.writeInbound(frame));
        assertEquals(message, e.getMessage());
        assertTrue(decoder.failed());
        assertEquals(0, frame.refCnt());
        ch.writeInbound(encode(new Ack(1)));
        assertNull(ch.readInbound(), "nothing is decoded after the error");
        assertFalse(ch.finish());
    }

    @Test
    void bothFramesRoundTrip() {
        List<Message> messages = List.of(new Read(1, 0, 0, 1, 0), new Read(-1, Long.MAX_VALUE, Long.MAX_VALUE,
                        Integer.MAX_VALUE, Integer.MAX_VALUE),
                ReadData.ok(-1, 42, data(7, 2 * BLOCK_SIZE)), ReadData.failed(3, ReadStatus.NOT_IN_SYNC, 17),
                new Ack(8));
        ((ReadData) messages.get(2)).retain(); // encode releases what it sends
        List<Object> decoded = decode(new EmbeddedChannel(decoder()), encode(messages));
        assertEquals(messages, decoded);
        assertTrue(((ReadData) decoded.get(2)).dataCrcMatches());
        releaseAll(List.of(messages.get(2)));
        releaseAll(decoded);
    }

    @Test
    void layoutsAreTheDocumentedOnes() {
        // §4.11 READ: request id u64, seq to see u64, LBA u64, block count u32, wait ms u32 — 32 bytes
        assertLayout(new Read(0x0102030405060708L, 9, 10, 11, 12),
                Unpooled.buffer().writeLong(0x0102030405060708L).writeLong(9).writeLong(10).writeInt(11).writeInt(12));
        // §4.12 READ_DATA: request id u64, status u8, applied seq u64, data CRC32C u32, data
        ByteBuf blocks = data(3, BLOCK_SIZE);
        ReadData ok = ReadData.ok(5, 6, blocks.retainedSlice());
        assertLayout(ok, Unpooled.buffer().writeLong(5).writeByte(1).writeLong(6).writeInt(ok.dataCrc32c())
                .writeBytes(blocks, 0, BLOCK_SIZE));
        blocks.release();
        assertLayout(ReadData.failed(7, ReadStatus.IO_ERROR, 8),
                Unpooled.buffer().writeLong(7).writeByte(2).writeLong(8).writeInt(0));
    }

    private static void assertLayout(Message expected, ByteBuf handWritten) {
        byte[] payload = bytes(handWritten);
        handWritten.release();
        List<Object> decoded = decode(new EmbeddedChannel(decoder()), rawFrame(expected.frameType(), payload));
        assertEquals(List.of(expected), decoded);
        releaseAll(decoded);
        ByteBuf encoded = encode(expected instanceof ReadData d ? d.retain() : expected);
        byte[] all = bytes(encoded);
        encoded.release();
        assertEquals(expected.frameType().code(), all[FrameHeader.TYPE_OFFSET]);
        assertArrayEquals(payload, Arrays.copyOfRange(all, FrameHeader.LENGTH, all.length));
        releaseAll(List.of(expected));
    }

    @Test
    void theFrameCrcStopsBeforeTheDataWhichItsOwnCrcCovers() {
        ByteBuf frame = encode(ReadData.ok(1, 2, data(9, BLOCK_SIZE)));
        int last = frame.writerIndex() - 1;
        frame.setByte(last, frame.getByte(last) ^ 0x40); // damage a data byte: the frame still decodes
        List<Object> decoded = decode(new EmbeddedChannel(decoder()), frame);
        ReadData d = (ReadData) decoded.get(0);
        assertFalse(d.dataCrcMatches(), "the receiver finds the damage through the data CRC32C");
        releaseAll(decoded);

        ByteBuf damagedField = encode(ReadData.ok(1, 2, data(9, BLOCK_SIZE)));
        damagedField.setByte(FrameHeader.LENGTH + 12, 0x55); // inside the applied seq
        EmbeddedChannel ch = new EmbeddedChannel(decoder());
        ProtocolException e = assertThrows(ProtocolException.class, () -> ch.writeInbound(damagedField));
        assertTrue(e.getMessage().startsWith("CRC32C mismatch in READ_DATA frame"), e.getMessage());
        ch.finish();
    }

    @Test
    void malformedReads() {
        assertRejected(decoder(), rawFrame(FrameType.READ, new byte[31]),
                "READ payload is 31 bytes, but exactly 32 are expected");
        assertRejected(decoder(), patched(new Read(4, 1, 2, 3, 4), p -> p.writeByte(0)),
                "READ payload is 33 bytes, but exactly 32 are expected");
        assertRejected(decoder(), patched(new Read(4, 1, 2, 3, 4), p -> p.setInt(24, 0)),
                "READ request 4: block count 0 is not in 1..2^31-1");
        assertRejected(decoder(), patched(new Read(4, 1, 2, 3, 4), p -> p.setInt(24, -1)),
                "READ request 4: block count 4294967295 is not in 1..2^31-1");
        assertRejected(decoder(), patched(new Read(4, 1, 2, 3, 4), p -> p.setLong(16, -1)),
                "READ request 4: LBA 18446744073709551615 is above 2^63-1");
        assertRejected(decoder(), patched(new Read(4, 1, 2, 3, 4), p -> p.setLong(8, -2)),
                "READ request 4: seq to see 18446744073709551614 is above 2^63-1");
        assertRejected(decoder(), patched(new Read(4, 1, 2, 3, 4), p -> p.setInt(28, -1)),
                "READ request 4: wait 4294967295 ms is not in 0..2^31-1");
    }

    @Test
    void malformedReadData() {
        assertRejected(decoder(), rawFrame(FrameType.READ_DATA, new byte[20]),
                "READ_DATA payload is 20 bytes, at least 21 needed");
        for (int code : new int[] {0, 7, 255}) {
            assertRejected(decoder(), patched(ReadData.failed(6, ReadStatus.NOT_READY, 0), p -> p.setByte(8, code)),
                    "READ_DATA request 6: unknown status " + code);
        }
        assertRejected(decoder(), patched(ReadData.failed(6, ReadStatus.NOT_READY, 0), p -> p.setLong(9, -1)),
                "READ_DATA request 6: applied seq 18446744073709551615 is above 2^63-1");
        assertRejected(decoder(), patched(ReadData.failed(6, ReadStatus.NOT_READY, 0), p -> p.setByte(8, 1)),
                "READ_DATA request 6: status OK carries no data");
        assertRejected(decoder(), patched(ReadData.failed(6, ReadStatus.IO_ERROR, 0), p -> p.writeZero(BLOCK_SIZE)),
                "READ_DATA request 6: status IO_ERROR carries 4096 bytes of data and CRC32C 0x00000000, must carry none and 0");
        assertRejected(decoder(), patched(ReadData.failed(6, ReadStatus.IO_ERROR, 0), p -> p.setInt(17, 5)),
                "READ_DATA request 6: status IO_ERROR carries 0 bytes of data and CRC32C 0x00000005, must carry none and 0");
        assertRejected(decoder(), patched(ReadData.ok(6, 0, data(1, BLOCK_SIZE)), p -> p.writeByte(0)),
                "READ_DATA request 6: data length 4097 is not a whole number of 4096-byte blocks");
        assertRejected(new FrameDecoder(), encode(ReadData.ok(6, 0, data(1, BLOCK_SIZE))),
                "READ_DATA request 6 arrived before the handshake set the block size");
    }

    @Test
    void constructorsRefuseWhatTheDecoderWouldRefuse() {
        assertThrows(IllegalArgumentException.class, () -> new Read(1, -1, 0, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> new Read(1, 0, -1, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> new Read(1, 0, 0, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new Read(1, 0, 0, 1, -1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ReadData.failed(1, ReadStatus.OK, 0));
        assertEquals("status OK carries no data", e.getMessage());
        ByteBuf blocks = Unpooled.buffer(BLOCK_SIZE).writeZero(BLOCK_SIZE);
        assertThrows(IllegalArgumentException.class, () -> new ReadData(1, ReadStatus.NOT_READY, 0, 0, blocks));
        blocks.release();
        assertEquals(FrameType.READ, FrameType.fromCode(30));
        assertEquals(FrameType.READ_DATA, FrameType.fromCode(31));
        assertNull(FrameType.fromCode(32));
        assertEquals(List.of(1, 2, 3, 4, 5, 6), Arrays.stream(ReadStatus.values()).map(ReadStatus::code).toList());
    }
}
