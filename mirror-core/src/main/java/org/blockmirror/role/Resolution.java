package org.blockmirror.role;

/** The administrator's choice of survivor (`blockmirror role resolve --keep-local | --keep-peer`). */
public enum Resolution {
    /** This unit's data is authoritative; the peer's diverging changes will be overwritten. */
    KEEP_LOCAL,
    /** The peer's data is authoritative; this unit's diverging changes will be overwritten. */
    KEEP_PEER
}
