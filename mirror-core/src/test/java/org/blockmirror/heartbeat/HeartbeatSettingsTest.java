package org.blockmirror.heartbeat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class HeartbeatSettingsTest {

    private static String rejected(long interval, long timeout, long probation, long gap) {
        return assertThrows(IllegalArgumentException.class,
                () -> new HeartbeatSettings(interval, timeout, probation, gap)).getMessage();
    }

    @Test
    void defaultsAreTheSeedValues() {
        HeartbeatSettings d = HeartbeatSettings.defaults();
        assertEquals(1500, d.intervalMillis());
        assertEquals(4000, d.timeoutMillis());
        assertEquals(10_000, d.probationMillis());
        assertEquals(3750, d.probationGapMillis());
    }

    @Test
    void everySettingMustBePositive() {
        assertEquals("heartbeat.interval-ms must be greater than 0, got 0", rejected(0, 4000, 10000, 3750));
        assertEquals("heartbeat.timeout-ms must be greater than 0, got -1", rejected(1500, -1, 10000, 3750));
        assertEquals("heartbeat.probation-ms must be greater than 0, got 0", rejected(1500, 4000, 0, 3750));
        assertEquals("heartbeat.probation-gap-ms must be greater than 0, got -5", rejected(1500, 4000, 10000, -5));
    }

    @Test
    void everySettingHasAnUpperBound() {
        assertEquals("heartbeat.probation-ms must be at most 86400000 (one day), got 86400001",
                rejected(1500, 4000, 86_400_001L, 3750));
    }

    @Test
    void timeoutMustExceedInterval() {
        assertEquals("heartbeat.timeout-ms (1500) must be greater than heartbeat.interval-ms (1500),"
                + " or every heartbeat would arrive too late", rejected(1500, 1500, 10000, 1500));
    }

    @Test
    void probationGapMustBeAtLeastTheInterval() {
        assertEquals("heartbeat.probation-gap-ms (1000) must be at least heartbeat.interval-ms (1500),"
                + " or regular heartbeats would restart the probation forever", rejected(1500, 4000, 10000, 1000));
    }

    @Test
    void probationGapMustNotExceedTimeout() {
        assertEquals("heartbeat.probation-gap-ms (5000) must not exceed heartbeat.timeout-ms (4000):"
                + " a gap that long already takes the link DOWN", rejected(1500, 4000, 10000, 5000));
    }

    @Test
    void boundaryValuesAreAccepted() {
        HeartbeatSettings s = new HeartbeatSettings(50, 51, 1, 50);
        assertEquals(51, s.timeoutMillis());
        new HeartbeatSettings(1500, 4000, 10000, 4000);
    }
}
