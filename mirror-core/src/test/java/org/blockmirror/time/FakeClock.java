package org.blockmirror.time;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/** A clock that moves only when a test advances it. Thread-safe. */
public final class FakeClock implements MonotonicClock {
    private final AtomicLong nanos = new AtomicLong();
    private final long wallBaseMillis;

    public FakeClock() {
        this(1_700_000_000_000L);
    }

    public FakeClock(long wallBaseMillis) {
        this.wallBaseMillis = wallBaseMillis;
    }

    @Override
    public long nanos() {
        return nanos.get();
    }

    @Override
    public long wallMillis() {
        return wallBaseMillis + nanos.get() / 1_000_000L;
    }

    public void advance(long amount, TimeUnit unit) {
        nanos.addAndGet(unit.toNanos(amount));
    }

    public void advanceMillis(long millis) {
        advance(millis, TimeUnit.MILLISECONDS);
    }
}
