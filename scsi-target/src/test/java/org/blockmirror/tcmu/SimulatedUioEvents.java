package org.blockmirror.tcmu;

import java.io.Closeable;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** The uio fd of a simulated kernel: interrupts as permits, kicks forwarded, close counted. */
final class SimulatedUioEvents implements UioEvents, Closeable {
    private final SimulatedTcmuKernel kernel;
    private final Semaphore interrupts = new Semaphore(0);
    final AtomicInteger closes = new AtomicInteger();

    SimulatedUioEvents(SimulatedTcmuKernel kernel) {
        this.kernel = kernel;
    }

    /** What uio_event_notify does after the kernel queued entries. */
    void interrupt() {
        interrupts.release();
    }

    @Override
    public boolean awaitEvent(int timeoutMillis) throws java.io.IOException {
        try {
            if (!interrupts.tryAcquire(timeoutMillis, TimeUnit.MILLISECONDS)) {
                return false;
            }
            interrupts.drainPermits();
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException();
        }
    }

    @Override
    public void kick() {
        kernel.kick();
    }

    @Override
    public void close() {
        closes.incrementAndGet();
    }
}
