package org.blockmirror.tcmu;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;

/**
 * Direct buffers that commands' data-out is gathered into, recycled once the command is
 * answered. Direct, because the data goes on to the journal's direct commit buffer and to a
 * {@code FileChannel} write: from a heap buffer the JDK would first copy it into a temporary
 * direct one. Pooled, because allocating direct memory per command costs zeroing, a cleaner
 * and, under a small heap, System.gc() calls when the direct memory limit is reached.
 *
 * <p>Buffers come in power-of-two capacities from {@link #MIN_BYTES} to {@link #MAX_POOLED_BYTES};
 * larger requests get an unpooled heap buffer. At most {@link #KEEP_PER_SIZE} free buffers of
 * each size are kept. Not thread-safe: the ring uses it under its own monitor.
 *
 * <p>Ownership: a buffer handed out by {@link #take} belongs to one command until the ring has
 * written that command's response; only then does it come back through {@link #give} (the
 * {@link org.blockmirror.block.BlockDevice} contract: the device is done with write data once
 * the write's future completes).
 */
final class DataOutBuffers {
    static final int MIN_BYTES = 4096;
    static final int MAX_POOLED_BYTES = 1 << 20;
    static final int KEEP_PER_SIZE = 16;

    private static final int MIN_SHIFT = Integer.numberOfTrailingZeros(MIN_BYTES);

    @SuppressWarnings("unchecked")
    private final ArrayDeque<ByteBuffer>[] free = new ArrayDeque[Integer.numberOfTrailingZeros(MAX_POOLED_BYTES)
            - MIN_SHIFT + 1];

    DataOutBuffers() {
        for (int i = 0; i < free.length; i++) {
            free[i] = new ArrayDeque<>();
        }
    }

    /** A buffer positioned at 0 with a limit of {@code length}; its old contents are not cleared. */
    ByteBuffer take(int length) {
        if (length > MAX_POOLED_BYTES) {
            return ByteBuffer.allocate(length);
        }
        int sizeClass = sizeClass(length);
        ByteBuffer b = free[sizeClass].pollFirst();
        if (b == null) {
            b = ByteBuffer.allocateDirect(MIN_BYTES << sizeClass);
        }
        b.clear().limit(length);
        return b;
    }

    /** Returns a buffer {@link #take} handed out; anything else is ignored. */
    void give(ByteBuffer b) {
        if (!b.isDirect() || Integer.bitCount(b.capacity()) != 1 || b.capacity() < MIN_BYTES
                || b.capacity() > MAX_POOLED_BYTES) {
            return;
        }
        ArrayDeque<ByteBuffer> list = free[sizeClass(b.capacity())];
        if (list.size() < KEEP_PER_SIZE) {
            list.addFirst(b);
        }
    }

    /** Free buffers held (for tests). */
    int held() {
        int n = 0;
        for (ArrayDeque<ByteBuffer> list : free) {
            n += list.size();
        }
        return n;
    }

    private static int sizeClass(int length) {
        int bytes = Math.max(MIN_BYTES, length);
        int shift = 32 - Integer.numberOfLeadingZeros(bytes - 1); // ceil(log2(bytes))
        return shift - MIN_SHIFT;
    }
}
