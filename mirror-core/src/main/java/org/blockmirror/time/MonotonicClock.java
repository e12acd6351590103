package org.blockmirror.time;

/**
 * The one source of time for every state machine in blockmirror.
 *
 * <p>Timeouts (heartbeats, probation, journal-full waits) are measured with {@link #nanos()},
 * which never jumps with wall-clock adjustments. {@link #wallMillis()} is only for timestamps
 * written into journal records and shown to people. Tests inject a fake clock.
 */
public interface MonotonicClock {

    /** Monotonic time in nanoseconds; only differences are meaningful. */
    long nanos();

    /** Wall-clock time in milliseconds since the epoch. */
    long wallMillis();

    /** The system clock. */
    static MonotonicClock system() {
        return SystemClock.INSTANCE;
    }

    /** Milliseconds of monotonic time, for convenience in state machines. */
    default long millis() {
        return nanos() / 1_000_000L;
    }
}
