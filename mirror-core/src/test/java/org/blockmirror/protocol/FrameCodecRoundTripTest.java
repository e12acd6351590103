package org.blockmirror.protocol;

import static org.blockmirror.protocol.WireTestSupport.BLOCK_SIZE;
import static org.blockmirror.protocol.WireTestSupport.bytes;
import static org.blockmirror.protocol.WireTestSupport.decode;
import static org.blockmirror.protocol.WireTestSupport.encode;
import static org.blockmirror.protocol.WireTestSupport.oneOfEach;
import static org.blockmirror.protocol.WireTestSupport.releaseAll;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@ExtendWith(ParanoidLeakDetection.class)
class FrameCodecRoundTripTest {

    private static EmbeddedChannel decoderChannel() {
        return new EmbeddedChannel(new FrameDecoder(FrameHeader.DEFAULT_MAX_PAYLOAD, BLOCK_SIZE));
    }

    @Test
    void everyMessageTypeRoundTripsAlone() {
        List<Message> expected = oneOfEach();
        for (int i = 0; i < expected.size(); i++) {
            ByteBuf frame = encode(oneOfEach().get(i));
            EmbeddedChannel ch = decoderChannel();
            List<Object> decoded = decode(ch, frame);
            assertEquals(List.of(expected.get(i)), decoded, "message " + i);
            assertEquals(expected.get(i).frameType(), ((Message) decoded.get(0)).frameType());
            assertFalse(ch.finish());
            releaseAll(decoded);
            assertEquals(0, frame.refCnt(), "input buffer released once the decoded messages are");
        }
        releaseAll(expected);
    }

    @Test
    void severalFramesInOneBuffer() {
        ByteBuf all = encode(oneOfEach());
        List<Object> decoded = decode(decoderChannel(), all);
        List<Message> expected = oneOfEach();
        assertEquals(expected, decoded);
        releaseAll(decoded);
        releaseAll(expected);
        assertEquals(0, all.refCnt());
    }

    @Test
    void oneByteAtATime() {
        ByteBuf all = encode(oneOfEach());
        EmbeddedChannel ch = decoderChannel();
        List<Object> decoded = new ArrayList<>();
        while (all.isReadable()) {
            decoded.addAll(decode(ch, all.readRetainedSlice(1)));
        }
        all.release();
        List<Message> expected = oneOfEach();
        assertEquals(expected, decoded);
        assertFalse(ch.finish());
        releaseAll(decoded);
        releaseAll(expected);
        assertEquals(0, all.refCnt());
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 0xB10C})
    void randomChunkSizes(long seed) {
        Random random = new Random(seed);
        List<Message> messages = new ArrayList<>();
        for (int round = 0; round < 5; round++) {
            messages.addAll(oneOfEach());
            messages.add(WireTestSupport.write(100 + round, 1 + random.nextInt(16)));
        }
        ByteBuf all = encode(messages);
        EmbeddedChannel ch = decoderChannel();
        List<Object> decoded = new ArrayList<>();
        List<ByteBuf> chunks = new ArrayList<>();
        while (all.isReadable()) {
            int n = Math.min(all.readableBytes(), 1 + random.nextInt(random.nextBoolean() ? 20 : 9000));
            ByteBuf chunk = PooledByteBufAllocator.DEFAULT.directBuffer(n).writeBytes(all, n);
            chunks.add(chunk);
            decoded.addAll(decode(ch, chunk));
        }
        all.release();

        // The same messages again, drawing the same random block counts.
        List<Message> expected = new ArrayList<>();
        Random replay = new Random(seed);
        for (int round = 0; round < 5; round++) {
            expected.addAll(oneOfEach());
            expected.add(WireTestSupport.write(100 + round, 1 + replay.nextInt(16)));
        }
        assertEquals(expected, decoded, "seed " + seed);
        assertFalse(ch.finish());
        releaseAll(decoded);
        releaseAll(expected);
        for (ByteBuf chunk : chunks) {
            assertEquals(0, chunk.refCnt(), "chunk leaked or over-retained, seed " + seed);
        }
    }

    @Test
    void aLargeWriteArrivingInSocketSizedChunksIsGatheredIntoOneBufferSizedForTheFrame() {
        Write sent = WireTestSupport.write(9, 256); // 1 MiB of data
        ByteBuf all = encode(sent.retain());
        int frameLength = all.readableBytes();
        EmbeddedChannel ch = decoderChannel();
        List<Object> decoded = new ArrayList<>();
        while (all.isReadable()) {
            int n = Math.min(all.readableBytes(), 64 * 1024);
            decoded.addAll(decode(ch, PooledByteBufAllocator.DEFAULT.directBuffer(n).writeBytes(all, n)));
        }
        all.release();
        assertEquals(List.of(sent), decoded);
        Write received = (Write) decoded.get(0);
        assertEquals(1, received.content().nioBufferCount(), "one contiguous buffer");
        ByteBuf root = received.content();
        while (root.unwrap() != null) {
            root = root.unwrap();
        }
        // grown once, to the frame's length, rather than doubled from 64 KiB (a copy per doubling)
        assertEquals(frameLength, root.capacity());
        assertTrue(root.isDirect(), "direct, so the volume write needs no copy either");
        assertFalse(ch.finish());
        releaseAll(decoded);
        sent.release();
    }

    @Test
    void decodedWriteDataIsASliceOfTheReceiveBufferNotACopy() {
        ByteBuf frame = encode(WireTestSupport.write(42, 1));
        EmbeddedChannel ch = decoderChannel();
        Write decoded = (Write) decode(ch, frame).get(0);

        int dataOffsetInFrame = FrameHeader.LENGTH + FrameEncoder.WRITE_FIELDS_LENGTH;
        byte before = decoded.content().getByte(decoded.content().readerIndex());
        frame.setByte(dataOffsetInFrame, before ^ 0x5A);
        assertEquals((byte) (before ^ 0x5A), decoded.content().getByte(decoded.content().readerIndex()),
                "decoded data shares memory with the received bytes");
        assertFalse(decoded.dataCrcMatches(), "the end-to-end data CRC sees the change");

        assertFalse(ch.finish());
        assertEquals(1, decoded.refCnt());
        decoded.release();
        assertEquals(0, decoded.refCnt());
        assertEquals(0, frame.refCnt());
    }

    @Test
    void decodedWriteSurvivesTheDecoderAndTheChannelUntilReleased() {
        EmbeddedChannel ch = decoderChannel();
        ByteBuf first = encode(WireTestSupport.write(1, 2));
        ByteBuf more = encode(new Ack(5), WireTestSupport.write(2, 1), new Ack(6));
        List<Object> decoded = decode(ch, first, more);
        assertEquals(4, decoded.size());
        assertFalse(ch.finish()); // the decoder drops its cumulation here

        Write w1 = (Write) decoded.get(0);
        Write w2 = (Write) decoded.get(2);
        Write expected1 = WireTestSupport.write(1, 2);
        Write expected2 = WireTestSupport.write(2, 1);
        assertEquals(expected1, w1);
        assertEquals(expected2, w2);
        assertTrue(w1.dataCrcMatches());
        assertTrue(w2.dataCrcMatches());

        w1.release();
        assertEquals(0, w1.refCnt());
        assertEquals(0, first.refCnt());
        assertArrayEquals(bytes(expected2.content()), bytes(w2.content()), "w2 unaffected by releasing w1");
        w2.release();
        assertEquals(0, w2.refCnt());
        assertEquals(0, more.refCnt());
        expected1.release();
        expected2.release();
    }

    @Test
    void encoderPassesWriteDataOnWithoutCopyingAndReleasesTheMessage() {
        ByteBuf data = WireTestSupport.data(9, 2 * BLOCK_SIZE);
        Write write = Write.ofData(9, 0, 100, 2, data);
        EmbeddedChannel ch = new EmbeddedChannel(new FrameEncoder());
        ch.writeOutbound(write);

        ByteBuf header = ch.readOutbound();
        ByteBuf dataOut = ch.readOutbound();
        assertNull(ch.readOutbound());
        assertEquals(FrameHeader.LENGTH + FrameEncoder.WRITE_FIELDS_LENGTH, header.readableBytes());
        assertEquals(2 * BLOCK_SIZE, dataOut.readableBytes());
        assertEquals(1, data.refCnt(), "the message was released; only the outbound slice holds the data");

        data.setByte(0, data.getByte(0) ^ 1);
        assertEquals(data.getByte(0), dataOut.getByte(dataOut.readerIndex()), "outbound data shares memory");

        header.release();
        dataOut.release();
        assertEquals(0, data.refCnt());
        assertFalse(ch.finish());
    }

    @Test
    void writeDataFromDirectAndCompositeBuffersEncodesTheSameFrame() {
        byte[] bytes = bytes(WireTestSupport.data(3, 3 * BLOCK_SIZE));
        ByteBuf heapFrame = encode(Write.ofData(3, 77, 8, 3, Unpooled.wrappedBuffer(bytes)));

        ByteBuf direct = PooledByteBufAllocator.DEFAULT.directBuffer().writeBytes(bytes);
        ByteBuf directFrame = encode(Write.ofData(3, 77, 8, 3, direct));

        CompositeByteBuf composite = Unpooled.compositeBuffer();
        composite.addComponent(true, Unpooled.wrappedBuffer(bytes, 0, 100));
        composite.addComponent(true, PooledByteBufAllocator.DEFAULT.directBuffer().writeBytes(bytes, 100, bytes.length - 100));
        ByteBuf compositeFrame = encode(Write.ofData(3, 77, 8, 3, composite));

        assertArrayEquals(bytes(heapFrame), bytes(directFrame));
        assertArrayEquals(bytes(heapFrame), bytes(compositeFrame));
        assertEquals(0, direct.refCnt());
        assertEquals(0, composite.refCnt());

        List<Object> decoded = decode(decoderChannel(), compositeFrame);
        Write w = (Write) decoded.get(0);
        assertArrayEquals(bytes, bytes(w.content()));
        assertTrue(w.dataCrcMatches());
        w.release();
        heapFrame.release();
        directFrame.release();
    }

    @Test
    void largeWriteRoundTrips() {
        int blocks = 256; // 1 MiB
        ByteBuf frame = encode(WireTestSupport.write(7, blocks));
        assertEquals(FrameHeader.LENGTH + FrameEncoder.WRITE_FIELDS_LENGTH + blocks * BLOCK_SIZE, frame.readableBytes());
        List<Object> decoded = decode(decoderChannel(), frame);
        Write expected = WireTestSupport.write(7, blocks);
        assertEquals(List.of(expected), decoded);
        releaseAll(decoded);
        expected.release();
        assertEquals(0, frame.refCnt());
    }

    @Test
    void headerFieldsAreBigEndianAtTheDocumentedOffsets() {
        ByteBuf frame = encode(new Ack(0x0102_0304_0506_0708L));
        byte[] b = bytes(frame);
        frame.release();
        assertArrayEquals(new byte[] {'B', 'M', 'W', 'P', 2, 5, 0, 0, 0, 0, 0, 8}, java.util.Arrays.copyOf(b, 12));
        assertArrayEquals(new byte[] {1, 2, 3, 4, 5, 6, 7, 8}, java.util.Arrays.copyOfRange(b, 16, 24));
        assertEquals(WireTestSupport.crcOf(Unpooled.wrappedBuffer(b)), Unpooled.wrappedBuffer(b).getInt(12));
    }

    @Test
    void trimCarriesNoData() {
        ByteBuf frame = encode(Write.trim(5, 1, 0, 1000));
        assertEquals(FrameHeader.LENGTH + FrameEncoder.WRITE_FIELDS_LENGTH, frame.readableBytes());
        Write w = (Write) decode(decoderChannel(), frame).get(0);
        assertEquals(RecordType.TRIM, w.recordType());
        assertEquals(1000, w.blockCount());
        assertEquals(0, w.content().readableBytes());
        assertTrue(w.dataCrcMatches());
        w.release();
        assertEquals(0, frame.refCnt());
    }

    @Test
    void messagesWithDifferentFieldsAreNotEqual() {
        // Guards the equality the round-trip tests rely on.
        Write a = WireTestSupport.write(1, 1);
        Write b = WireTestSupport.write(1, 1);
        Write c = WireTestSupport.write(2, 1);
        assertEquals(a, b);
        assertNotEquals(a, c);
        b.content().setByte(0, b.content().getByte(0) ^ 1);
        assertNotEquals(a, b);
        assertInstanceOf(Message.class, a);
        a.release();
        b.release();
        c.release();
    }
}
