package org.blockmirror.alert;

/**
 * What an alert is about. Most kinds are <em>conditions</em>: raised when they start, cleared
 * when they end, shown in {@code status} while active. The remirror kinds are one-shot
 * <em>events</em> ({@link #isEvent()}): reported (log and hook) but never active.
 */
public enum AlertKind {
    /** The heartbeat link is down or on probation: writes queue in the journal. */
    LINK_DOWN(false),
    /** Journal use crossed {@code journal.high-water-percent}. */
    JOURNAL_HIGH_WATER(false),
    /** The journal has no room: new host writes wait and then fail. */
    JOURNAL_FULL(false),
    /** Sync-mode writes complete without the remote's acknowledgement. */
    SYNC_DEGRADED(false),
    /** The remote copy is not an ordered prefix of the local one (during a remirror). */
    REMOTE_INCONSISTENT(false),
    /** A remirror (bitmap resynchronisation) started. */
    REMIRROR_STARTED(true),
    /** A remirror finished: both copies are equal again. */
    REMIRROR_FINISHED(true),
    /** Replication cannot proceed: sessions fail, writes are refused by the remote, resync needed. */
    REPLICATION_ERROR(false),
    /** The local volume or journal (or the remote volume) failed an I/O. */
    VOLUME_IO_ERROR(false),
    /** Roles: both units changed the data since they last agreed; nothing is mirrored until `role resolve`. */
    SPLIT_BRAIN(false),
    /**
     * Roles: the units refuse to mirror for another reason (both primary, a stale primary, unrelated
     * data, no usable source, a resync the journal cannot replay); the message says which.
     */
    ROLE_CONFLICT(false),
    /** Roles: this primary learned the peer moved past its generation; it refuses host writes. */
    WRITE_TOKEN_REVOKED(false);

    private final boolean event;

    AlertKind(boolean event) {
        this.event = event;
    }

    /** A one-shot event rather than a condition with a start and an end. */
    public boolean isEvent() {
        return event;
    }
}
