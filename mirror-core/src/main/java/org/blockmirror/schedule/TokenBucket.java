package org.blockmirror.schedule;

import org.blockmirror.time.MonotonicClock;

/**
 * A byte-rate limit: a token bucket filled at {@code bytesPerSecond} on an injected clock, holding
 * at most {@code burstBytes}.
 *
 * <p>A take is allowed whenever the bucket is not in debt and may drive it into debt (a 4 MiB
 * record need not fit a small bucket); the next take then waits until the debt is paid back.
 * Over any long stretch the average is exactly the rate, and a burst is at most
 * {@code burstBytes} plus one take. Not thread-safe: one sender owns it.
 */
public final class TokenBucket {

    private static final double NANOS_PER_SECOND = 1e9;

    private final long bytesPerSecond;
    private final long burstBytes;
    private final MonotonicClock clock;
    private double tokens;
    private long lastNanos;

    public TokenBucket(long bytesPerSecond, long burstBytes, MonotonicClock clock) {
        if (bytesPerSecond <= 0 || burstBytes <= 0) {
            throw new IllegalArgumentException("rate " + bytesPerSecond + " B/s and burst " + burstBytes
                    + " B must be positive");
        }
        this.bytesPerSecond = bytesPerSecond;
        this.burstBytes = burstBytes;
        this.clock = clock;
        this.tokens = burstBytes;
        this.lastNanos = clock.nanos();
    }

    public long bytesPerSecond() {
        return bytesPerSecond;
    }

    /**
     * Takes {@code bytes} if the bucket is not in debt.
     *
     * @return 0 if taken, else the nanoseconds until a take will be allowed
     */
    public long tryTake(long bytes) {
        refill();
        if (tokens >= 0) {
            tokens -= bytes;
            return 0;
        }
        return Math.max(1, (long) Math.ceil(-tokens * NANOS_PER_SECOND / bytesPerSecond));
    }

    private void refill() {
        long now = clock.nanos();
        long elapsed = now - lastNanos;
        if (elapsed > 0) {
            tokens = Math.min(burstBytes, tokens + elapsed * (bytesPerSecond / NANOS_PER_SECOND));
            lastNanos = now;
        }
    }
}
