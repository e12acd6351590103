package org.blockmirror.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.concurrent.TimeUnit;
import org.blockmirror.time.FakeClock;
import org.blockmirror.time.SettableClock;
import org.junit.jupiter.api.Test;

class SendScheduleTest {

    private static final ZoneId ZONE = ZoneId.of("America/New_York");
    private final FakeClock clock = new FakeClock();
    private final SettableClock timeOfDay = new SettableClock(
            LocalDateTime.parse("2024-06-03T07:59:30").atZone(ZONE).toInstant(), ZONE);

    @Test
    void nothingMayBeSentDuringABlackoutInTheDaemonsTimeZone() {
        SendSchedule s = new SendSchedule(0, SendWindows.parse("08:00-18:00"), clock, timeOfDay);
        assertEquals(0, s.permit(1 << 20));
        assertFalse(s.inBlackout());
        assertNull(s.resumesAt());

        timeOfDay.advance(Duration.ofSeconds(30));
        assertTrue(s.inBlackout());
        assertEquals(SendSchedule.BLACKOUT_RECHECK_NANOS, s.permit(1));
        assertEquals(LocalDateTime.parse("2024-06-03T18:00").atZone(ZONE), s.resumesAt());

        timeOfDay.advance(Duration.ofHours(10));
        assertEquals(0, s.permit(1 << 20));
        assertNull(s.resumesAt());
    }

    @Test
    void theRateLimitAppliesOutsideBlackouts() {
        SendSchedule s = new SendSchedule(1 << 20, SendWindows.none(), clock, timeOfDay);
        assertEquals(0, s.permit(1 << 20));
        long wait = s.permit(1);
        assertTrue(wait > TimeUnit.MILLISECONDS.toNanos(900) && wait <= TimeUnit.SECONDS.toNanos(1), "wait " + wait);
        clock.advance(wait, TimeUnit.NANOSECONDS);
        assertEquals(0, s.permit(1));
    }

    @Test
    void unlimitedNeverHoldsBack() {
        SendSchedule s = SendSchedule.unlimited();
        for (int i = 0; i < 1000; i++) {
            assertEquals(0, s.permit(16 << 20));
        }
        assertNull(s.resumesAt());
    }
}
