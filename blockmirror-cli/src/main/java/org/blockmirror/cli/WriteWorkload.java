package org.blockmirror.cli;

import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.blockmirror.block.BlockDevice;

/**
 * Drives a {@link BlockDevice} with random writes at a fixed queue depth, the way a host
 * would: many writes in flight, overlapping ranges, sizes from one block to {@code maxBlocks}.
 *
 * <p>Every block written carries a stamp in its first 16 bytes: the write's id and the
 * block's LBA. {@link #stamp} lets a checker tell which write a block on a volume came from,
 * and because the rest of a block is derived from its stamp alone, {@link #fill} with one
 * block regenerates exactly what that block must hold: a torn or foreign block never matches.
 */
public final class WriteWorkload {

    /** Called when a write completes successfully (id, lba, blocks). */
    @FunctionalInterface
    public interface AckListener {
        void acked(long writeId, long lba, int blocks);
    }

    private final BlockDevice device;
    private final int queueDepth;
    private final int maxBlocks;
    private final SplittableRandom random;
    private final AckListener listener;
    private final AtomicLong nextId;
    private final AtomicLong bytesAcked = new AtomicLong();
    private final AtomicLong writesAcked = new AtomicLong();
    private final AtomicLong writesFailed = new AtomicLong();
    private final AtomicReference<Throwable> firstFailure = new AtomicReference<>();
    private volatile boolean stop;
    private volatile long bytesPerSecond;

    public WriteWorkload(BlockDevice device, int queueDepth, int maxBlocks, long seed, AckListener listener) {
        this(device, queueDepth, maxBlocks, seed, 1, listener);
    }

    /**
     * @param firstId the id of the first write (ids then count up by one); lets several runs
     *                against one volume, e.g. across daemon restarts, use disjoint ids. Must be positive.
     */
    public WriteWorkload(BlockDevice device, int queueDepth, int maxBlocks, long seed, long firstId,
                         AckListener listener) {
        if (firstId <= 0) {
            throw new IllegalArgumentException("write ids must be positive (0 marks a never-written block), not "
                    + firstId);
        }
        this.nextId = new AtomicLong(firstId);
        this.device = device;
        this.queueDepth = queueDepth;
        this.maxBlocks = maxBlocks;
        this.random = new SplittableRandom(seed);
        this.listener = listener;
    }

    /** Caps the submission rate (0: as fast as the device completes writes). */
    public WriteWorkload limitRate(long bytesPerSecond) {
        this.bytesPerSecond = bytesPerSecond;
        return this;
    }

    /** Writes until {@link #stop()} or the duration elapses, then waits for writes in flight. */
    public void run(long duration, TimeUnit unit) throws InterruptedException {
        Semaphore slots = new Semaphore(queueDepth);
        long start = System.nanoTime();
        long submitted = 0;
        long deadline = start + unit.toNanos(duration);
        long blocks = device.blockCount();
        int bs = device.blockSize();
        while (!stop && System.nanoTime() < deadline) {
            if (!slots.tryAcquire(100, TimeUnit.MILLISECONDS)) {
                continue;
            }
            long id = nextId.getAndIncrement();
            int n = 1 + random.nextInt(Math.min(maxBlocks, (int) Math.min(Integer.MAX_VALUE, blocks)));
            long lba = random.nextLong(blocks - n + 1);
            ByteBuffer data = fill(id, lba, n, bs);
            submitted += (long) n * bs;
            long rate = bytesPerSecond;
            if (rate > 0) {
                long dueNanos = start + submitted * 1_000_000_000L / rate;
                long wait = dueNanos - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
            }
            device.write(lba, data).whenComplete((ok, err) -> {
                if (err == null) {
                    writesAcked.incrementAndGet();
                    bytesAcked.addAndGet((long) n * bs);
                    if (listener != null) {
                        listener.acked(id, lba, n);
                    }
                } else {
                    writesFailed.incrementAndGet();
                    firstFailure.compareAndSet(null, err);
                }
                slots.release();
            });
        }
        slots.acquire(queueDepth);
        slots.release(queueDepth);
    }

    /**
     * Content of write {@code id}: each block stamped with (id, lba), the rest pseudo-random from
     * that stamp only, so {@code fill(id, lba + k, 1, blockSize)} is block k of any write
     * {@code id} that covers it.
     */
    public static ByteBuffer fill(long id, long lba, int blocks, int blockSize) {
        ByteBuffer buf = ByteBuffer.allocate(blocks * blockSize);
        for (int b = 0; b < blocks; b++) {
            long blockLba = lba + b;
            buf.putLong(id).putLong(blockLba);
            SplittableRandom r = new SplittableRandom(id * 0x9E3779B97F4A7C15L ^ blockLba * 0xC2B2AE3D27D4EB4FL);
            for (int i = 16; i < blockSize; i += 8) {
                buf.putLong(r.nextLong());
            }
        }
        return buf.flip();
    }

    /** The (write id, lba) stamp at the start of a block, or null for a never-written block. */
    public static long[] stamp(ByteBuffer block) {
        long id = block.getLong(block.position());
        long lba = block.getLong(block.position() + 8);
        return id == 0 ? null : new long[] {id, lba};
    }

    public void stop() {
        stop = true;
    }

    public long bytesAcked() {
        return bytesAcked.get();
    }

    public long writesAcked() {
        return writesAcked.get();
    }

    public long writesFailed() {
        return writesFailed.get();
    }

    public Throwable firstFailure() {
        return firstFailure.get();
    }
}
