package org.blockmirror.local;

/** When the host is told its write is done (SPEC F5). */
public enum AckMode {
    /** After the write is durable in the local journal and on the local volume. */
    ASYNC,
    /**
     * After the remote has durably applied it as well. If the remote does not acknowledge
     * within the sync timeout (link down, remote slow), the write completes anyway and the unit
     * raises the "sync degraded" alert: the host is never stalled by the link.
     */
    SYNC
}
