package org.blockmirror.alert;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.blockmirror.time.MonotonicClock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The active alerts of one daemon.
 *
 * <p>Sources call {@link #raise} and {@link #clear} as conditions start and end (or
 * {@link #set} from a periodic check); only real changes count: each is logged once (WARN when
 * raised, INFO when cleared) and handed to the {@link AlertListener} (the hook runner), in
 * order. Raising an active alert again only updates its message. Cheap and non-blocking, so it
 * may be called from event loops and the heartbeat's listener.
 */
public final class AlertCenter {

    private static final Logger log = LoggerFactory.getLogger(AlertCenter.class);

    private final String role;
    private final String volumeId;
    private final MonotonicClock clock;
    private final AlertListener listener;
    private final Map<AlertKind, Alert> active = new EnumMap<>(AlertKind.class);

    /**
     * @param role     "local" or "remote", passed to the hook
     * @param volumeId the mirrored volume, passed to the hook
     * @param clock    source of the wall-clock time stamps
     * @param listener told about every change (the hook runner, or {@link AlertListener#NONE})
     */
    public AlertCenter(String role, String volumeId, MonotonicClock clock, AlertListener listener) {
        this.role = Objects.requireNonNull(role);
        this.volumeId = Objects.requireNonNull(volumeId);
        this.clock = Objects.requireNonNull(clock);
        this.listener = Objects.requireNonNull(listener);
    }

    /**
     * Starts a condition (or reports a one-shot event).
     *
     * @return true if this was a change (the alert was not active before)
     */
    public synchronized boolean raise(AlertKind kind, String message) {
        long now = clock.wallMillis();
        if (kind.isEvent()) {
            log.info("event {}: {}", kind, message);
            notify(new AlertEvent(kind, AlertEvent.State.RAISED, role, volumeId, message, now));
            return true;
        }
        Alert current = active.get(kind);
        if (current != null) {
            if (!current.message().equals(message)) {
                active.put(kind, new Alert(kind, message, current.sinceMillis()));
                log.debug("alert {} still active: {}", kind, message);
            }
            return false;
        }
        active.put(kind, new Alert(kind, message, now));
        log.warn("alert raised: {}: {}", kind, message);
        notify(new AlertEvent(kind, AlertEvent.State.RAISED, role, volumeId, message, now));
        return true;
    }

    /** Ends a condition, keeping its last message. */
    public synchronized boolean clear(AlertKind kind) {
        Alert current = active.get(kind);
        return current != null && clear(kind, current.message());
    }

    /**
     * Ends a condition.
     *
     * @param message why it ended (passed to the hook)
     * @return true if this was a change (the alert was active)
     */
    public synchronized boolean clear(AlertKind kind, String message) {
        Alert current = active.remove(kind);
        if (current == null) {
            return false;
        }
        long now = clock.wallMillis();
        log.info("alert cleared: {} (active for {} s): {}", kind, Math.max(0, now - current.sinceMillis()) / 1000,
                message);
        notify(new AlertEvent(kind, AlertEvent.State.CLEARED, role, volumeId, message, now));
        return true;
    }

    /** Raises or clears, for sources that are polled: {@code message} is used when raising. */
    public void set(AlertKind kind, boolean on, String message) {
        if (on) {
            raise(kind, message);
        } else {
            clear(kind);
        }
    }

    public synchronized boolean isActive(AlertKind kind) {
        return active.containsKey(kind);
    }

    /** The active alerts, in the order of {@link AlertKind}. */
    public synchronized List<Alert> active() {
        return new ArrayList<>(active.values());
    }

    private void notify(AlertEvent event) {
        try {
            listener.onAlert(event);
        } catch (RuntimeException e) {
            log.warn("alert listener failed on {} {}: {}", event.kind(), event.state().word(), e.toString());
        }
    }
}
