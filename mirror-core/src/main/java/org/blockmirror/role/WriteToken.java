package org.blockmirror.role;

import org.blockmirror.role.GenerationState.Flag;

/**
 * Write policing (SPEC F12): whether this unit may accept host writes for a volume. A unit holds
 * the write token while it is primary and has not learned that the peer moved past its
 * generation. Once it learns that — the peer's agreed generation or history holds this unit's
 * current one (the peer was promoted while this unit was cut off), or the administrator kept the
 * peer's data over this unit's — the token is revoked and stays revoked until this unit is
 * demoted, or the administrator keeps this unit's data ({@link Resolution#KEEP_LOCAL}).
 *
 * <p>The write path only reads a volatile field ({@link #mayAcceptWrites()}); the role code calls
 * {@link #localStateChanged} after every persisted transition and {@link #peerStateLearned}
 * whenever a peer state arrives. What this can and cannot prevent is in docs/roles.md ("Fencing").
 */
public final class WriteToken {

    private GenerationState local;
    private String fence; // why the token was revoked by what the peer said; null if it was not
    private volatile String refusal; // null while writes are allowed

    public WriteToken(GenerationState local) {
        this.local = local;
        recompute();
    }

    /** Hot path: may a host write be accepted now? */
    public boolean mayAcceptWrites() {
        return refusal == null;
    }

    /** Why writes are refused (for the NOT READY / write-protect sense and the log), or null. */
    public String refusalReason() {
        return refusal;
    }

    /** This unit's state changed (after it was persisted). */
    public synchronized void localStateChanged(GenerationState now) {
        local = now;
        if (!now.isPrimary() || now.has(Flag.KEEP_LOCAL)) {
            fence = null; // demoted (a later promotion starts afresh), or the administrator kept our data
        }
        recompute();
    }

    /** A state announced by the peer (handshake, or later a heartbeat). */
    public synchronized void peerStateLearned(GenerationState peer) {
        GenerationId mine = local.current();
        if (!local.isPrimary() || local.has(Flag.KEEP_LOCAL) || mine.isNone() || peer.current().equals(mine)) {
            return;
        }
        if (peer.earlier().contains(mine)) {
            fence = "the peer moved on from this unit's generation " + mine + " (it is at " + peer.current()
                    + "): it was promoted while this unit was cut off; demote this unit, or keep its data with"
                    + " role resolve --keep-local";
        } else if (peer.has(Flag.KEEP_LOCAL)) {
            fence = "the administrator kept the peer's data (generation " + peer.current() + ") over this unit's ("
                    + mine + "); demote this unit";
        }
        recompute();
    }

    private void recompute() {
        if (!local.isPrimary()) {
            refusal = "this unit is secondary for the volume and does not hold the write token";
        } else {
            refusal = fence == null ? null : "write token revoked: " + fence;
        }
    }
}
