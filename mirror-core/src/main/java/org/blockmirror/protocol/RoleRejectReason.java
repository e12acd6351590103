package org.blockmirror.protocol;

/** Why a unit refused to mirror or to take over (u8 in ROLE_REJECT). */
public enum RoleRejectReason {
    /** Both units are primary (HandshakeDecision BOTH_PRIMARY). */
    BOTH_PRIMARY(1),
    /** The unit that would be overwritten is primary (STALE_PRIMARY). */
    STALE_PRIMARY(2),
    /** Both changed the data since they last agreed (SPLIT_BRAIN): wait for `role resolve`. */
    SPLIT_BRAIN(3),
    /** No generation in common (UNRELATED_DATA). */
    UNRELATED_DATA(4),
    /** Neither has a consistent copy to sync from (NO_USABLE_SOURCE). */
    NO_USABLE_SOURCE(5),
    /** A resync is needed that the journal cannot replay (the remirror engine must copy blocks). */
    RESYNC_UNAVAILABLE(6),
    /** The peer cannot take over in a role reversal (not in sync, unsent journal records, …). */
    REVERSE_REFUSED(7);

    private final int code;

    RoleRejectReason(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    public static RoleRejectReason fromCode(int code) {
        for (RoleRejectReason r : values()) {
            if (r.code == code) {
                return r;
            }
        }
        return null;
    }
}
