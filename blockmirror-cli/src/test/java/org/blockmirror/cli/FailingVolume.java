package org.blockmirror.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLong;
import org.blockmirror.volume.ForwardingVolume;
import org.blockmirror.volume.Volume;

/**
 * Fault injection for fail-over tests: a real volume that starts failing every I/O with an
 * IOException at a chosen point — at once ({@link #failNow()}) or after a number of further
 * writes ({@link #failAfterWrites(long)}) — as a disk that dies under load does.
 */
final class FailingVolume extends ForwardingVolume {

    private final Volume inner;
    private volatile boolean failing;
    /** Writes still allowed before the failure; negative: no failure scheduled. */
    private final AtomicLong writesLeft = new AtomicLong(-1);

    FailingVolume(Volume inner) {
        this.inner = inner;
    }

    void failNow() {
        failing = true;
    }

    void failAfterWrites(long n) {
        writesLeft.set(n);
    }

    boolean failing() {
        return failing;
    }

    private void check(String op, long offset) throws IOException {
        if (failing) {
            throw new IOException("injected disk failure: " + op + " at offset " + offset + " of " + inner.describe());
        }
    }

    @Override
    protected Volume delegate() {
        return inner;
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        check("read", offset);
        inner.read(offset, dst);
    }

    @Override
    public void write(long offset, ByteBuffer src) throws IOException {
        if (writesLeft.get() >= 0 && writesLeft.getAndDecrement() == 0) {
            failing = true;
        }
        check("write", offset);
        inner.write(offset, src);
    }

    @Override
    public void flush() throws IOException {
        check("flush", 0);
        inner.flush();
    }
}
