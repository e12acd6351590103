package org.blockmirror.local;

/** When the host is told its write is done (SPEC F5). */
public enum AckMode {
    /** After the write is durable in the local journal and on the local volume. */
    ASYNC(org.blockmirror.protocol.AckMode.ASYNC),
    /**
     * After the remote has durably applied it as well. If the remote does not acknowledge
     * within the sync timeout (link down, remote slow), the write completes anyway and the unit
     * raises the "sync degraded" alert: the host is never stalled by the link.
     */
    SYNC(org.blockmirror.protocol.AckMode.SYNC),
    /**
     * As SYNC (including the timeout), and the remote writes a record only after this unit has
     * confirmed the CRC32C the remote computed over the data it received (VERIFY → ACK_ACK); a
     * record that arrived damaged is rejected (NAK verdict) and resent.
     */
    VERIFIED(org.blockmirror.protocol.AckMode.VERIFIED);

    private final org.blockmirror.protocol.AckMode wire;

    AckMode(org.blockmirror.protocol.AckMode wire) {
        this.wire = wire;
    }

    /** Whether the host waits for the remote's acknowledgement (up to the sync timeout). */
    public boolean waitsForRemote() {
        return this != ASYNC;
    }

    /** The mode announced in HELLO. */
    public org.blockmirror.protocol.AckMode wire() {
        return wire;
    }
}
