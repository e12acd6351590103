package org.blockmirror.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import org.blockmirror.time.FakeClock;
import org.junit.jupiter.api.Test;

class TokenBucketTest {

    private static final long MIB = 1 << 20;
    private final FakeClock clock = new FakeClock();

    @Test
    void aFullBucketLetsOneBurstThroughThenPacesAtTheRate() {
        TokenBucket b = new TokenBucket(2 * MIB, 128 << 10, clock);
        assertEquals(0, b.tryTake(64 << 10));
        assertEquals(0, b.tryTake(64 << 10));
        assertEquals(0, b.tryTake(1), "an empty (not indebted) bucket still allows one take");
        long wait = b.tryTake(64 << 10);
        assertEquals(TimeUnit.SECONDS.toNanos(1) / (2 * MIB), wait, 1, "one byte of debt at 2 MiB/s");
    }

    @Test
    void aTakeLargerThanTheBucketGoesIntoDebtAndTheNextWaitsItOff() {
        TokenBucket b = new TokenBucket(2 * MIB, 64 << 10, clock);
        assertEquals(0, b.tryTake(4 * MIB));
        long wait = b.tryTake(1);
        // (4 MiB - 64 KiB) of debt at 2 MiB/s
        assertEquals(TimeUnit.MILLISECONDS.toNanos(2000 - 31) - TimeUnit.MICROSECONDS.toNanos(250), wait,
                TimeUnit.MICROSECONDS.toNanos(10));
        clock.advance(wait - 1_000, TimeUnit.NANOSECONDS);
        assertTrue(b.tryTake(1) > 0, "still in debt 1 µs early");
        clock.advance(1_000, TimeUnit.NANOSECONDS);
        assertEquals(0, b.tryTake(1));
    }

    @Test
    void overALongRunTheAverageIsTheRate() {
        long rate = 3 * MIB;
        TokenBucket b = new TokenBucket(rate, 64 << 10, clock);
        long sent = 0;
        long record = 300_000;
        long start = clock.nanos();
        while (sent < 60 * MIB) {
            long wait = b.tryTake(record);
            if (wait == 0) {
                sent += record;
            } else {
                clock.advance(wait, TimeUnit.NANOSECONDS);
            }
        }
        double seconds = (clock.nanos() - start) / 1e9;
        double achieved = sent / seconds;
        assertTrue(achieved <= rate * 1.01 && achieved >= rate * 0.97, "achieved " + achieved + " B/s");
    }

    @Test
    void idleTimeFillsTheBucketOnlyUpToItsSize() {
        TokenBucket b = new TokenBucket(MIB, 64 << 10, clock);
        clock.advance(1, TimeUnit.HOURS);
        assertEquals(0, b.tryTake(64 << 10));
        assertEquals(0, b.tryTake(1));
        assertTrue(b.tryTake(1) > 0, "an hour of idling does not buy an hour of bandwidth");
    }

    @Test
    void rateAndBurstMustBePositive() {
        assertEquals("rate 0 B/s and burst 1 B must be positive",
                assertThrows(IllegalArgumentException.class, () -> new TokenBucket(0, 1, clock)).getMessage());
    }
}
