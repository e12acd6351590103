package org.blockmirror.heartbeat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;

import org.blockmirror.time.MonotonicClock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connection array of the seed: n elements, one per mirroring connection, each holding the
 * connection, the time a heartbeat last refreshed it, and a status (EMPTY / UP / DOWN).
 *
 * <p>The heartbeat receiver {@link #refreshAll() refreshes} every element; when the link goes
 * DOWN every element is {@link #markAllDown(String) marked DOWN and its connection closed}. New
 * connections are accepted only while the link is UP: the array starts closed, and as a
 * {@link LinkListener} it opens on a transition to UP and closes on a transition to DOWN.
 * Worker threads check {@link #status(int)} before using their connection.
 *
 * <p>Thread-safe. Connections are closed outside the array's lock.
 */
public final class ConnectionArray implements LinkListener {

    private static final Logger log = LoggerFactory.getLogger(ConnectionArray.class);

    private final MonotonicClock clock;
    private final MirrorConnection[] connections;
    private final ConnectionStatus[] statuses;
    private final long[] lastHeard;
    private final boolean[] heard;
    private boolean accepting;

    public ConnectionArray(int size, MonotonicClock clock) {
        if (size < 1) {
            throw new IllegalArgumentException("connection array size must be at least 1, got " + size);
        }
        this.clock = Objects.requireNonNull(clock, "clock");
        this.connections = new MirrorConnection[size];
        this.statuses = new ConnectionStatus[size];
        this.lastHeard = new long[size];
        this.heard = new boolean[size];
        Arrays.fill(statuses, ConnectionStatus.EMPTY);
    }

    public int size() {
        return connections.length;
    }

    /** Whether new connections may be registered, i.e. the link is UP. */
    public synchronized boolean isAccepting() {
        return accepting;
    }

    /**
     * Puts a connection into slot {@code index} with status UP.
     *
     * @return false if the link is not UP: the connection was not registered and the caller
     *         must close it (or not open it)
     * @throws IllegalStateException if the slot already holds an UP connection (a daemon bug:
     *         unregister the old one first)
     */
    public synchronized boolean register(int index, MirrorConnection connection) {
        checkIndex(index);
        Objects.requireNonNull(connection, "connection");
        if (!accepting) {
            return false;
        }
        if (statuses[index] == ConnectionStatus.UP) {
            throw new IllegalStateException("connection slot " + index + " already holds an UP connection "
                    + connections[index] + "; unregister it before registering " + connection);
        }
        connections[index] = connection;
        statuses[index] = ConnectionStatus.UP;
        return true;
    }

    /**
     * Empties slot {@code index} if it still holds {@code connection}; a late unregister of an old
     * connection does not remove its replacement.
     *
     * @return whether the slot was emptied
     */
    public synchronized boolean unregister(int index, MirrorConnection connection) {
        checkIndex(index);
        if (connections[index] != connection || connection == null) {
            return false;
        }
        connections[index] = null;
        statuses[index] = ConnectionStatus.EMPTY;
        return true;
    }

    public synchronized ConnectionStatus status(int index) {
        checkIndex(index);
        return statuses[index];
    }

    /** A heartbeat arrived: resets the timestamp of every element. */
    public synchronized void refreshAll() {
        long now = clock.millis();
        Arrays.fill(lastHeard, now);
        Arrays.fill(heard, true);
    }

    /** Allows connections to be registered again (the link is UP). */
    public synchronized void open() {
        accepting = true;
    }

    /**
     * The link is DOWN: refuses new connections, marks every UP element DOWN and closes its
     * connection. The elements keep their (closed) connections until the daemon unregisters them.
     *
     * @return how many connections were closed
     */
    public int markAllDown(String reason) {
        List<MirrorConnection> toClose = new ArrayList<>();
        synchronized (this) {
            accepting = false;
            for (int i = 0; i < connections.length; i++) {
                if (statuses[i] == ConnectionStatus.UP) {
                    statuses[i] = ConnectionStatus.DOWN;
                    toClose.add(connections[i]);
                }
            }
        }
        for (MirrorConnection c : toClose) {
            try {
                c.close();
            } catch (RuntimeException e) {
                log.warn("closing connection {} failed; it is marked DOWN anyway", c, e);
            }
        }
        if (!toClose.isEmpty()) {
            log.info("closed {} mirror connection(s): {}", toClose.size(), reason);
        }
        return toClose.size();
    }

    /** Opens on UP, marks everything DOWN on DOWN; STARTING and PROBATION change nothing. */
    @Override
    public void onTransition(LinkState from, LinkState to, String reason) {
        switch (to) {
            case UP -> open();
            case DOWN -> markAllDown(reason);
            case STARTING, PROBATION -> { }
        }
    }

    public synchronized List<ConnectionSlot> snapshot() {
        long now = clock.millis();
        List<ConnectionSlot> slots = new ArrayList<>(connections.length);
        for (int i = 0; i < connections.length; i++) {
            slots.add(new ConnectionSlot(i, statuses[i],
                    connections[i] == null ? "" : connections[i].toString(),
                    heard[i] ? OptionalLong.of(now - lastHeard[i]) : OptionalLong.empty()));
        }
        return slots;
    }

    private void checkIndex(int index) {
        if (index < 0 || index >= connections.length) {
            throw new IndexOutOfBoundsException("connection slot " + index + " outside 0.."
                    + (connections.length - 1));
        }
    }
}
