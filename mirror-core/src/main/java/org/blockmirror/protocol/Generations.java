package org.blockmirror.protocol;

import java.util.Objects;
import org.blockmirror.role.GenerationState;

/**
 * A unit's role and generations for the volume (docs/roles.md): sent by the primary on connection 0
 * right after HELLO_OK, before any WRITE, and answered by the secondary's own GENERATIONS when it
 * agrees to mirror (or by {@link RoleReject}).
 *
 * @param flags bit 0 {@link #JOURNAL_COVERS_PEER}; other bits must be 0
 * @param state the sender's persisted state
 */
public record Generations(int flags, GenerationState state) implements Message {

    /**
     * Set by the primary: its journal still holds every record after the applied seq the peer
     * announced in HELLO_OK, so replaying the journal brings the peer up to this unit's generation.
     */
    public static final int JOURNAL_COVERS_PEER = 1;
    static final int KNOWN_FLAGS = JOURNAL_COVERS_PEER;

    public Generations {
        Objects.requireNonNull(state, "state");
        if ((flags & ~KNOWN_FLAGS) != 0) {
            throw new IllegalArgumentException("unknown GENERATIONS flags 0x" + Integer.toHexString(flags));
        }
    }

    public boolean journalCoversPeer() {
        return (flags & JOURNAL_COVERS_PEER) != 0;
    }

    @Override
    public FrameType frameType() {
        return FrameType.GENERATIONS;
    }
}
