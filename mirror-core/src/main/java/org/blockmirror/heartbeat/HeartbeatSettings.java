package org.blockmirror.heartbeat;

/**
 * Heartbeat timing, all in milliseconds.
 *
 * @param intervalMillis      how often a heartbeat is sent ({@value #KEY_INTERVAL})
 * @param timeoutMillis       silence after which the link goes DOWN ({@value #KEY_TIMEOUT})
 * @param probationMillis     uninterrupted heartbeats needed after an interruption before the
 *                            link is UP again ({@value #KEY_PROBATION})
 * @param probationGapMillis  the longest gap between heartbeats that probation tolerates; a
 *                            longer one restarts the probation ({@value #KEY_PROBATION_GAP})
 */
public record HeartbeatSettings(long intervalMillis, long timeoutMillis, long probationMillis,
                                long probationGapMillis) {

    public static final String KEY_INTERVAL = "heartbeat.interval-ms";
    public static final String KEY_TIMEOUT = "heartbeat.timeout-ms";
    public static final String KEY_PROBATION = "heartbeat.probation-ms";
    public static final String KEY_PROBATION_GAP = "heartbeat.probation-gap-ms";

    public static final long DEFAULT_INTERVAL_MILLIS = 1_500;
    public static final long DEFAULT_TIMEOUT_MILLIS = 4_000;
    public static final long DEFAULT_PROBATION_MILLIS = 10_000;
    /** 2.5 intervals: one lost datagram is tolerated, two are an interruption. */
    public static final long DEFAULT_PROBATION_GAP_MILLIS = 3_750;

    /** Upper bound for every setting: a day. Keeps arithmetic far from overflow and typos out. */
    public static final long MAX_MILLIS = 86_400_000L;

    public HeartbeatSettings {
        checkRange(KEY_INTERVAL, intervalMillis);
        checkRange(KEY_TIMEOUT, timeoutMillis);
        checkRange(KEY_PROBATION, probationMillis);
        checkRange(KEY_PROBATION_GAP, probationGapMillis);
        if (timeoutMillis <= intervalMillis) {
            throw new IllegalArgumentException(KEY_TIMEOUT + " (" + timeoutMillis
                    + ") must be greater than " + KEY_INTERVAL + " (" + intervalMillis
                    + "), or every heartbeat would arrive too late");
        }
        if (probationGapMillis < intervalMillis) {
            throw new IllegalArgumentException(KEY_PROBATION_GAP + " (" + probationGapMillis
                    + ") must be at least " + KEY_INTERVAL + " (" + intervalMillis
                    + "), or regular heartbeats would restart the probation forever");
        }
        if (probationGapMillis > timeoutMillis) {
            throw new IllegalArgumentException(KEY_PROBATION_GAP + " (" + probationGapMillis
                    + ") must not exceed " + KEY_TIMEOUT + " (" + timeoutMillis
                    + "): a gap that long already takes the link DOWN");
        }
    }

    /** The defaults: 1.5 s interval, 4 s timeout, 10 s probation, 3.75 s probation gap. */
    public static HeartbeatSettings defaults() {
        return new HeartbeatSettings(DEFAULT_INTERVAL_MILLIS, DEFAULT_TIMEOUT_MILLIS,
                DEFAULT_PROBATION_MILLIS, DEFAULT_PROBATION_GAP_MILLIS);
    }

    private static void checkRange(String key, long value) {
        if (value <= 0) {
            throw new IllegalArgumentException(key + " must be greater than 0, got " + value);
        }
        if (value > MAX_MILLIS) {
            throw new IllegalArgumentException(key + " must be at most " + MAX_MILLIS
                    + " (one day), got " + value);
        }
    }
}
