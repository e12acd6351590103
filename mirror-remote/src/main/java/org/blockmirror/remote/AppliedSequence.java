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
        value = seq;
    }

    @Override
    public void close() throws IOException {
        file.close();
    }
}
