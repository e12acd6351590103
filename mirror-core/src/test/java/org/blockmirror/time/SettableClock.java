package org.blockmirror.time;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.concurrent.atomic.AtomicReference;

/** A {@link java.time.Clock} (wall time and zone) that a test sets and moves. Thread-safe. */
public final class SettableClock extends Clock {
    private final AtomicReference<Instant> now;
    private final ZoneId zone;

    public SettableClock(Instant start, ZoneId zone) {
        this(new AtomicReference<>(start), zone);
    }

    private SettableClock(AtomicReference<Instant> now, ZoneId zone) {
        this.now = now;
        this.zone = zone;
    }

    @Override
    public ZoneId getZone() {
        return zone;
    }

    /** A view in another zone that moves together with this one. */
    @Override
    public Clock withZone(ZoneId zone) {
        return new SettableClock(now, zone);
    }

    @Override
    public Instant instant() {
        return now.get();
    }

    public void set(Instant instant) {
        now.set(instant);
    }

    public void advance(Duration d) {
        now.updateAndGet(i -> i.plus(d));
    }
}
