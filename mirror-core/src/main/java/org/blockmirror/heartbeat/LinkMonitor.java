package org.blockmirror.heartbeat;

import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.concurrent.CopyOnWriteArrayList;

import org.blockmirror.time.MonotonicClock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The link state machine: decides from heartbeat arrivals and the passage of time whether the
 * peer is reachable. Pure: no threads, no I/O; whoever owns it calls {@link #onHeartbeat()} when a
 * valid heartbeat arrives and {@link #tick()} periodically, and time comes from the injected clock.
 *
 * <pre>
 *  STARTING --first heartbeat--------------------------------------------&gt; UP
 *  STARTING --silence &ge; timeout-----------------------------------------&gt; DOWN
 *  UP       --silence &ge; timeout-----------------------------------------&gt; DOWN
 *  DOWN     --heartbeat----------------------------------------------------&gt; PROBATION
 *  PROBATION --heartbeat after a gap &gt; probationGap (restart timer)-------&gt; PROBATION
 *  PROBATION --probation elapsed, no gap &gt; probationGap--------------------&gt; UP
 *  PROBATION --silence &ge; timeout----------------------------------------&gt; DOWN
 * </pre>
 *
 * <p>Probation exists because a link that has just come back is often flapping; reconnecting n
 * TCP connections and replaying the journal into a link that drops again a second later wastes the
 * replay and churns connections. STARTING goes straight to UP because there was no interruption.
 *
 * <p>{@link #onHeartbeat()} first applies any timeout that a late {@link #tick()} has not yet
 * noticed, so a heartbeat arriving after a long silence always passes through DOWN.
 *
 * <p>Thread-safe; listeners are called under the monitor's lock, in transition order.
 */
public final class LinkMonitor {

    private static final Logger log = LoggerFactory.getLogger(LinkMonitor.class);

    private final String peer;
    private final HeartbeatSettings settings;
    private final MonotonicClock clock;
    private final List<LinkListener> listeners = new CopyOnWriteArrayList<>();
    private final Object lock = new Object();

    // All guarded by lock; times are clock.millis() values.
    private final long startedAt;
    private LinkState state = LinkState.STARTING;
    private long stateSince;
    private boolean heardAny;
    private long lastHeard;
    private long probationStart;
    private long transitions;

    /**
     * @param peer a name for the peer in log lines and reasons, e.g. its address
     */
    public LinkMonitor(String peer, HeartbeatSettings settings, MonotonicClock clock) {
        this.peer = Objects.requireNonNull(peer, "peer");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.startedAt = clock.millis();
        this.stateSince = startedAt;
    }

    public void addListener(LinkListener listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    public void removeListener(LinkListener listener) {
        listeners.remove(listener);
    }

    public HeartbeatSettings settings() {
        return settings;
    }

    public String peer() {
        return peer;
    }

    /** A valid heartbeat from the peer arrived now. */
    public void onHeartbeat() {
        synchronized (lock) {
            long now = clock.millis();
            applyTimeout(now);
            boolean heardBefore = heardAny;
            long gap = now - lastHeard;
            heardAny = true;
            lastHeard = now;
            switch (state) {
                case STARTING -> transition(LinkState.UP, now, "first heartbeat from " + peer + "; link UP");
                case UP -> { }
                case DOWN -> {
                    probationStart = now;
                    String after = heardBefore ? " after " + seconds(gap) + " of silence" : " (first since start)";
                    transition(LinkState.PROBATION, now, "probation started: heartbeat from " + peer + after
                            + "; link UP after " + seconds(settings.probationMillis())
                            + " of uninterrupted heartbeats");
                }
                case PROBATION -> {
                    if (gap > settings.probationGapMillis()) {
                        probationStart = now;
                        transition(LinkState.PROBATION, now, "probation restarted after a " + seconds(gap)
                                + " gap in heartbeats from " + peer);
                    } else {
                        applyProbationPassed(now);
                    }
                }
            }
        }
    }

    /** Called periodically: applies timeouts and ends a probation that has passed. */
    public void tick() {
        synchronized (lock) {
            long now = clock.millis();
            applyTimeout(now);
            if (state == LinkState.PROBATION) {
                applyProbationPassed(now);
            }
        }
    }

    public LinkState state() {
        synchronized (lock) {
            return state;
        }
    }

    /** When the current state was entered, in {@link MonotonicClock#millis()} of the monitor's clock. */
    public long stateSince() {
        synchronized (lock) {
            return stateSince;
        }
    }

    /** Time until the link may go UP, if in PROBATION; empty otherwise. */
    public OptionalLong probationRemainingMillis() {
        synchronized (lock) {
            return probationRemaining(clock.millis());
        }
    }

    /** Time since the last valid heartbeat; empty if the peer was never heard. */
    public OptionalLong lastHeardAgeMillis() {
        synchronized (lock) {
            return heardAny ? OptionalLong.of(clock.millis() - lastHeard) : OptionalLong.empty();
        }
    }

    public LinkStatus status() {
        synchronized (lock) {
            long now = clock.millis();
            return new LinkStatus(state, now - stateSince,
                    heardAny ? OptionalLong.of(now - lastHeard) : OptionalLong.empty(),
                    probationRemaining(now), transitions);
        }
    }

    private OptionalLong probationRemaining(long now) {
        if (state != LinkState.PROBATION) {
            return OptionalLong.empty();
        }
        return OptionalLong.of(Math.max(0, settings.probationMillis() - (now - probationStart)));
    }

    private void applyTimeout(long now) {
        switch (state) {
            case STARTING -> {
                long silence = now - startedAt;
                if (silence >= settings.timeoutMillis()) {
                    transition(LinkState.DOWN, now, "peer unreachable: no heartbeat from " + peer
                            + " in " + silence + " ms since start; link DOWN");
                }
            }
            case UP, PROBATION -> {
                long silence = now - lastHeard;
                if (silence >= settings.timeoutMillis()) {
                    String what = state == LinkState.UP ? "heartbeat lost" : "heartbeat lost during probation";
                    transition(LinkState.DOWN, now, what + ": no heartbeat from " + peer
                            + " for " + silence + " ms; link DOWN");
                }
            }
            case DOWN -> { }
        }
    }

    private void applyProbationPassed(long now) {
        long elapsed = now - probationStart;
        // A gap in progress longer than probationGap is an interruption even before the next heartbeat.
        if (elapsed >= settings.probationMillis() && now - lastHeard <= settings.probationGapMillis()) {
            transition(LinkState.UP, now, "probation passed: " + seconds(elapsed)
                    + " of uninterrupted heartbeats from " + peer + "; link UP");
        }
    }

    private void transition(LinkState to, long now, String reason) {
        LinkState from = state;
        state = to;
        stateSince = now;
        transitions++;
        log.info(reason);
        for (LinkListener listener : listeners) {
            try {
                listener.onTransition(from, to, reason);
            } catch (RuntimeException e) {
                log.warn("link listener {} failed on {} -> {}; transition stands", listener, from, to, e);
            }
        }
    }

    private static String seconds(long millis) {
        return String.format(Locale.ROOT, "%.1f s", millis / 1000.0);
    }

    @Override
    public String toString() {
        return "LinkMonitor[" + peer + ", " + state() + "]";
    }
}
