package org.blockmirror.heartbeat;

/**
 * The state of the heartbeat link to the peer unit, as seen by one unit.
 *
 * <p>Connections to the peer may exist only in {@link #UP}. The wire code is what a heartbeat
 * datagram carries in its "sender link state" byte; it is fixed, independent of declaration order.
 */
public enum LinkState {
    /** Never heard the peer since this unit started; the first heartbeat goes straight to UP. */
    STARTING(1),
    /** Heartbeats arrive; connections may be established and used. */
    UP(2),
    /** No heartbeat for the timeout; every connection is closed, writes queue in the journal. */
    DOWN(3),
    /** Heartbeats are back after an interruption; waiting for them to stay uninterrupted. */
    PROBATION(4);

    private final int wireCode;

    LinkState(int wireCode) {
        this.wireCode = wireCode;
    }

    /** The code carried on the wire (one unsigned byte). */
    public int wireCode() {
        return wireCode;
    }

    /** The state for a wire code, or {@code null} if the code is unknown. */
    public static LinkState fromWireCode(int code) {
        for (LinkState s : values()) {
            if (s.wireCode == code) {
                return s;
            }
        }
        return null;
    }
}
