package org.blockmirror.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RecordBuffersTest {

    /** Every buffer handed out, so the test can see what became of it. */
    private final List<ByteBuf> allocated = new ArrayList<>();
    private final RecordBuffers buffers = new RecordBuffers(new AbstractByteBufAllocator(true) {
        // not pooled: a released buffer object is not recycled for the next allocation
        @Override
        protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
            ByteBuf b = Unpooled.directBuffer(initialCapacity, maxCapacity);
            allocated.add(b);
            return b;
        }

        @Override
        protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
            throw new AssertionError("record data must go to direct buffers");
        }

        @Override
        public boolean isDirectBufferPooled() {
            return false;
        }
    });

    @Test
    void whatTheReaderFillsIsWhatIsTakenWithoutACopy() {
        ByteBuffer filled = buffers.apply(4096);
        assertTrue(filled.isDirect());
        assertEquals(4096, filled.remaining());
        for (int i = 0; i < 4096; i++) {
            filled.put(i, (byte) i);
        }
        ByteBuf taken = buffers.take(4096);
        assertFalse(buffers.holdsUntaken());
        assertEquals(4096, taken.readableBytes());
        assertEquals(1, taken.refCnt());
        for (int i = 0; i < 4096; i++) {
            assertEquals((byte) i, taken.getByte(i), "byte " + i);
        }
        filled.put(7, (byte) 0x5A);
        assertEquals((byte) 0x5A, taken.getByte(7), "one memory, not a copy");
        buffers.discardUntaken();
        assertEquals(1, taken.refCnt(), "a taken buffer belongs to the taker");
        taken.release();
    }

    @Test
    void aBufferNeverTakenIsReleased() {
        buffers.apply(512);
        buffers.apply(1024); // the reader moved on (e.g. the previous read failed its CRC)
        assertEquals(2, allocated.size());
        assertEquals(0, allocated.get(0).refCnt(), "replaced, so released");
        assertEquals(1, allocated.get(1).refCnt());
        assertTrue(buffers.holdsUntaken());
        buffers.discardUntaken(); // the session ended before the record was sent
        assertEquals(0, allocated.get(1).refCnt());
        assertFalse(buffers.holdsUntaken());
        buffers.discardUntaken(); // nothing held: no effect
    }

    @Test
    void takingWithoutABufferIsAnError() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> buffers.take(1));
        assertEquals("no record buffer to take", e.getMessage());
    }
}
