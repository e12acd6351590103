package org.blockmirror.tcmu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class DataOutBuffersTest {

    @Test
    void buffersAreDirectSizedToTheRequestAndRecycledBySizeClass() {
        DataOutBuffers pool = new DataOutBuffers();
        ByteBuffer a = pool.take(4096);
        assertTrue(a.isDirect());
        assertEquals(0, a.position());
        assertEquals(4096, a.limit());
        assertEquals(4096, a.capacity());
        ByteBuffer b = pool.take(5000);
        assertEquals(8192, b.capacity(), "rounded up to a power of two");
        assertEquals(5000, b.limit());

        a.position(100);
        pool.give(a);
        ByteBuffer again = pool.take(512);
        assertSame(a, again, "a 4 KiB buffer serves anything up to 4 KiB");
        assertEquals(0, again.position());
        assertEquals(512, again.limit());
        assertNotSame(a, pool.take(4096), "a buffer is handed out once at a time");
    }

    @Test
    void largeRequestsAreNotPooledAndForeignBuffersAreIgnored() {
        DataOutBuffers pool = new DataOutBuffers();
        ByteBuffer big = pool.take(DataOutBuffers.MAX_POOLED_BYTES + 4096);
        assertFalse(big.isDirect());
        pool.give(big);
        pool.give(ByteBuffer.allocateDirect(3000));
        pool.give(ByteBuffer.allocate(4096));
        assertEquals(0, pool.held());
    }

    @Test
    void atMostKeepPerSizeFreeBuffersAreKept() {
        DataOutBuffers pool = new DataOutBuffers();
        List<ByteBuffer> out = new ArrayList<>();
        for (int i = 0; i < DataOutBuffers.KEEP_PER_SIZE + 5; i++) {
            out.add(pool.take(1 << 20));
        }
        out.forEach(pool::give);
        assertEquals(DataOutBuffers.KEEP_PER_SIZE, pool.held());
    }
}
