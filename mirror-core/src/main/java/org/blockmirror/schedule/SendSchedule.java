package org.blockmirror.schedule;

import java.time.Clock;
import java.time.ZonedDateTime;
import java.util.concurrent.TimeUnit;
import org.blockmirror.time.MonotonicClock;

/**
 * When the local unit may send (SPEC F24): never during a blackout window, and at most the
 * rate limit. The journal absorbs whatever is held back; host writes are not affected.
 *
 * <p>The rate is measured on the monotonic clock; blackout windows are times of day read from
 * a {@link Clock} in the daemon's time zone. Both are injected. {@link #permit} is for the one
 * sending thread; the status accessors may be called from any thread.
 */
public final class SendSchedule {

    /** Smallest burst: a few frames' worth, so a small rate still batches sensibly. */
    public static final long MIN_BURST_BYTES = 64 << 10;
    /** How long a held-back sender waits before asking again during a blackout (clocks may jump). */
    public static final long BLACKOUT_RECHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private final long rateBytesPerSecond;
    private final TokenBucket bucket;
    private final SendWindows blackout;
    private final Clock timeOfDay;

    /**
     * @param rateBytesPerSecond 0 for no limit
     * @param blackout           times of day when nothing is sent
     * @param clock              measures the rate
     * @param timeOfDay          wall-clock time and zone the windows are read in
     */
    public SendSchedule(long rateBytesPerSecond, SendWindows blackout, MonotonicClock clock, Clock timeOfDay) {
        this.rateBytesPerSecond = rateBytesPerSecond;
        // a burst of 1/20 s: smooth at the scale people measure, yet few waits per second
        this.bucket = rateBytesPerSecond == 0 ? null
                : new TokenBucket(rateBytesPerSecond, Math.max(MIN_BURST_BYTES, rateBytesPerSecond / 20), clock);
        this.blackout = blackout;
        this.timeOfDay = timeOfDay;
    }

    /** No limit, no windows. */
    public static SendSchedule unlimited() {
        return new SendSchedule(0, SendWindows.none(), MonotonicClock.system(), Clock.systemDefaultZone());
    }

    /**
     * Asks to send {@code bytes} now; if allowed they are counted against the rate.
     *
     * @return 0 if the bytes may be sent now, else nanoseconds to wait before asking again
     */
    public long permit(long bytes) {
        if (inBlackout()) {
            return BLACKOUT_RECHECK_NANOS;
        }
        return bucket == null ? 0 : bucket.tryTake(bytes);
    }

    public boolean inBlackout() {
        return !blackout.isEmpty() && blackout.contains(ZonedDateTime.now(timeOfDay).toLocalTime());
    }

    /** When the current blackout ends, or null if there is none now. */
    public ZonedDateTime resumesAt() {
        return blackout.isEmpty() ? null : blackout.resumesAt(ZonedDateTime.now(timeOfDay));
    }

    public long rateBytesPerSecond() {
        return rateBytesPerSecond;
    }

    public SendWindows blackout() {
        return blackout;
    }
}
