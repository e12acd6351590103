package org.blockmirror.volume;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real volume whose writes, or flushes, wait until {@link #open()}: a slow or stalled disk.
 * {@link #entered} counts down when the first gated call arrives; flushes are counted.
 */
public final class GatedVolume extends ForwardingVolume {

    public enum Gate { WRITES, FLUSHES }

    private final Volume inner;
    private final Gate gate;
    private final CountDownLatch open = new CountDownLatch(1);
    public final CountDownLatch entered = new CountDownLatch(1);
    public final AtomicInteger flushes = new AtomicInteger();

    public GatedVolume(Volume inner, Gate gate) {
        this.inner = inner;
        this.gate = gate;
    }

    public void open() {
        open.countDown();
    }

    @Override
    protected Volume delegate() {
        return inner;
    }

    private void pass() throws IOException {
        entered.countDown();
        try {
            open.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while the gate was closed", e);
        }
    }

    @Override
    public void write(long offset, ByteBuffer src) throws IOException {
        if (gate == Gate.WRITES) {
            pass();
        }
        inner.write(offset, src);
    }

    @Override
    public void flush() throws IOException {
        if (gate == Gate.FLUSHES) {
            pass();
        }
        flushes.incrementAndGet();
        inner.flush();
    }

    @Override
    public String describe() {
        return "gated " + inner.describe();
    }
}
