package org.blockmirror.cli;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.blockmirror.block.BlockDevice;

/** A {@link WriteWorkload} running on its own thread until stopped, counting host ACKs. */
final class BackgroundWrites implements AutoCloseable {

    private final AtomicLong acks = new AtomicLong();
    private final WriteWorkload workload;
    private final Thread thread;

    BackgroundWrites(BlockDevice device, long bytesPerSecond, long seed) {
        workload = new WriteWorkload(device, 8, 8, seed, (id, lba, blocks) -> acks.incrementAndGet())
                .limitRate(bytesPerSecond);
        thread = new Thread(() -> {
            try {
                workload.run(1, TimeUnit.HOURS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "test-writes");
        thread.start();
    }

    long acks() {
        return acks.get();
    }

    WriteWorkload workload() {
        return workload;
    }

    /** Stops submitting and waits for the writes in flight. */
    @Override
    public void close() throws InterruptedException {
        workload.stop();
        thread.join(30_000);
    }

    /** Polls {@code condition} every few milliseconds; fails with {@code what} after the timeout. */
    static void await(String what, long timeoutMs, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeoutMs + " ms waiting until " + what);
            }
            Thread.sleep(5);
        }
    }
}
