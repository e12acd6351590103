package org.blockmirror.role;

import org.blockmirror.role.GenerationState.Flag;

/**
 * Write policing (SPEC F12): whether this unit may accept host writes for a volume. The unit holds
 * the write token while it is primary and not {@link Flag#FENCED} — that is, while it has not
 * learned (through {@link GenerationState#observePeer}) that the peer moved past its generation
 * or that the administrator kept the peer's data. The fence is part of the persisted state, so
 * a restart does not lift it; only a demotion, the administrator keeping this unit's data, or
 * getting in sync with the peer again does.
 *
 * <p>The write path only reads a volatile field ({@link #mayAcceptWrites()}); the role code calls
 * {@link #update} after every persisted transition. What this can and cannot prevent is in
 * docs/roles.md ("Fencing and its limits").
 */
public final class WriteToken {

    private volatile String refusal; // null while writes are allowed

    public WriteToken(GenerationState state) {
        update(state);
    }

    /** Hot path: may a host write be accepted now? */
    public boolean mayAcceptWrites() {
        return refusal == null;
    }

    /** Why writes are refused (for the log and the SCSI sense), or null while they are allowed. */
    public String refusalReason() {
        return refusal;
    }

    /** The unit's state changed (call after it was persisted). */
    public void update(GenerationState state) {
        if (!state.isPrimary()) {
            refusal = "this unit is secondary for the volume and does not hold the write token";
        } else if (state.has(Flag.FENCED)) {
            refusal = "write token revoked: the peer moved past this unit's generation " + state.current()
                    + " (it was promoted while this unit was cut off) or the administrator kept the peer's data;"
                    + " demote this unit, or keep its data with role resolve --keep-local";
        } else {
            refusal = null;
        }
    }
}
