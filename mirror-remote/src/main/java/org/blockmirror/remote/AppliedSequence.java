package org.blockmirror.remote;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.blockmirror.state.DurableStateFile;

/**
 * The highest sequence number whose write (and every write before it) is durable on the
 * remote volume. Persisted after each applied batch; the local unit resumes after it.
 */
final class AppliedSequence implements AutoCloseable {

    private final DurableStateFile file;
    private volatile long value;

    private AppliedSequence(DurableStateFile file, long value) {
        this.file = file;
        this.value = value;
    }

    static AppliedSequence open(Path path) throws IOException {
        DurableStateFile f = DurableStateFile.open(path);
        long v = f.read().filter(b -> b.length == 8).map(b -> ByteBuffer.wrap(b).getLong()).orElse(0L);
        return new AppliedSequence(f, v);
    }

    long get() {
        return value;
    }

    void persist(long seq) throws IOException {
        file.write(ByteBuffer.allocate(8).putLong(seq).array());
        synchronized (this) {
            value = seq;
            notifyAll();
        }
    }

    /**
     * Waits until the applied seq is at least {@code seq} (fail-over reads, {@link PeerReadServer}).
     *
     * @return the applied seq then; below {@code seq} if the wait timed out
     */
    synchronized long awaitAtLeast(long seq, long timeoutMillis) throws InterruptedException {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (value < seq) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                break;
            }
            java.util.concurrent.TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        return value;
    }

    @Override
    public void close() throws IOException {
        file.close();
    }
}
