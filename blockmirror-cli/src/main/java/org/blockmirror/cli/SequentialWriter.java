package org.blockmirror.cli;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.blockmirror.block.BlockDevice;

/**
 * Streams sequential writes of one size through a {@link BlockDevice} at a fixed queue depth,
 * the way a host copying a large file would, and times them from the first submit to the last
 * acknowledgement.
 *
 * <p>The payloads are prepared once and reused (each write gets its own duplicate, nobody
 * changes their content), so the writer itself costs almost no CPU and the figure measures
 * the device, not the data generator.
 */
final class SequentialWriter {

    /** What one run achieved. */
    record Result(long bytes, long writes, long failures, Throwable firstFailure, long firstSubmitNanos,
                  long lastAckNanos) {

        double seconds() {
            return (lastAckNanos - firstSubmitNanos) / 1e9;
        }

        double mibPerSecond() {
            return bytes / (1024.0 * 1024.0) / seconds();
        }
    }

    private final BlockDevice device;
    private final int queueDepth;
    private final List<ByteBuffer> payloads;

    /**
     * @param payloads write contents, all of the same size (a whole number of blocks); used round robin
     */
    SequentialWriter(BlockDevice device, int queueDepth, List<ByteBuffer> payloads) {
        int size = payloads.get(0).remaining();
        if (size % device.blockSize() != 0 || payloads.stream().anyMatch(p -> p.remaining() != size)) {
            throw new IllegalArgumentException("payloads must all be " + size + " bytes, a whole number of "
                    + device.blockSize() + "-byte blocks");
        }
        if ((long) size > device.capacityBytes()) {
            throw new IllegalArgumentException("a write of " + size + " bytes does not fit the device ("
                    + device.capacityBytes() + " bytes)");
        }
        this.device = device;
        this.queueDepth = queueDepth;
        this.payloads = payloads;
    }

    /**
     * Writes {@code totalBytes} (rounded up to whole writes) from {@code startLba}, wrapping to
     * LBA 0 where a write would pass the end, and waits for every acknowledgement.
     */
    Result write(long startLba, long totalBytes) throws InterruptedException {
        int writeBytes = payloads.get(0).remaining();
        int blocks = writeBytes / device.blockSize();
        long writes = (totalBytes + writeBytes - 1) / writeBytes;
        Semaphore slots = new Semaphore(queueDepth);
        AtomicLong lastAck = new AtomicLong();
        AtomicLong failures = new AtomicLong();
        AtomicReference<Throwable> firstFailure = new AtomicReference<>();
        long lba = startLba;
        long first = System.nanoTime();
        for (long i = 0; i < writes; i++) {
            slots.acquire();
            if (lba + blocks > device.blockCount()) {
                lba = 0;
            }
            device.write(lba, payloads.get((int) (i % payloads.size())).duplicate()).whenComplete((ok, err) -> {
                long now = System.nanoTime();
                lastAck.accumulateAndGet(now, Math::max);
                if (err != null) {
                    failures.incrementAndGet();
                    firstFailure.compareAndSet(null, err);
                }
                slots.release();
            });
            lba += blocks;
        }
        slots.acquire(queueDepth);
        return new Result(writes * writeBytes, writes, failures.get(), firstFailure.get(), first, lastAck.get());
    }
}
