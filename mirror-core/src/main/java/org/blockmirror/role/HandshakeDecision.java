package org.blockmirror.role;

import java.util.Objects;

/**
 * What two units do after comparing their {@link GenerationState}s ({@link HandshakeRules}).
 *
 * @param kind what happens
 * @param direction which way data flows, for the three sync kinds; {@code null} otherwise
 * @param since for a resync: the generation from which changed blocks are copied, see
 *     {@link #changedBlocksOf}; {@link GenerationId#NONE} means the whole volume (always for
 *     INITIAL_SYNC); NONE for every other kind
 * @param explanation one sentence for the log, the alert and `status`
 */
public record HandshakeDecision(Kind kind, Direction direction, GenerationId since, String explanation) {

    public enum Kind {
        /** Same generation on both: the primary (if any) streams its journal as usual. */
        IN_SYNC_STREAM(false),
        /** The peer is behind: copy blocks from this unit to the peer, then stream. */
        RESYNC_LOCAL_TO_PEER(false),
        /** This unit is behind: receive blocks from the peer. */
        RESYNC_PEER_TO_LOCAL(false),
        /** One unit never held data: copy the whole volume to it. */
        INITIAL_SYNC(false),
        /** Both units are primary: refuse until one is demoted. */
        BOTH_PRIMARY(true),
        /**
         * The unit that would be overwritten is primary (its host may have the volume mounted):
         * refuse until it is demoted, or the administrator keeps its data.
         */
        STALE_PRIMARY(true),
        /** Both units changed the data since they last agreed: refuse, alert, wait for `role resolve`. */
        SPLIT_BRAIN(true),
        /** No generation in common: refuse unless the administrator chooses a survivor. */
        UNRELATED_DATA(true),
        /** Neither unit has a consistent copy to sync from (both new, or the source is mid-resync). */
        NO_USABLE_SOURCE(true);

        private final boolean refusal;

        Kind(boolean refusal) {
            this.refusal = refusal;
        }

        /** True when the units must not mirror: the link stays up, nothing flows, an alert is raised. */
        public boolean isRefusal() {
            return refusal;
        }
    }

    public enum Direction {
        LOCAL_TO_PEER,
        PEER_TO_LOCAL
    }

    /** Which blocks one side contributes to the set a resync copies. */
    public enum ChangedBlocks {
        /** The side has not changed anything since the resync's {@code since} generation. */
        NOTHING,
        /** Its dirty map: every block it changed since its agreed generation (which is {@code since}). */
        SINCE_AGREED,
        /** The whole volume is copied. */
        WHOLE_VOLUME
    }

    public HandshakeDecision {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(since, "since");
        Objects.requireNonNull(explanation, "explanation");
        boolean sync = kind == Kind.RESYNC_LOCAL_TO_PEER || kind == Kind.RESYNC_PEER_TO_LOCAL
                || kind == Kind.INITIAL_SYNC;
        if (sync != (direction != null)) {
            throw new IllegalArgumentException(kind + (sync ? " needs a direction" : " has no direction"));
        }
        if ((kind == Kind.RESYNC_LOCAL_TO_PEER && direction != Direction.LOCAL_TO_PEER)
                || (kind == Kind.RESYNC_PEER_TO_LOCAL && direction != Direction.PEER_TO_LOCAL)) {
            throw new IllegalArgumentException(kind + " cannot flow " + direction);
        }
        if (!since.isNone() && kind != Kind.RESYNC_LOCAL_TO_PEER && kind != Kind.RESYNC_PEER_TO_LOCAL) {
            throw new IllegalArgumentException(kind + " has no since generation");
        }
    }

    /** True for a resync (not an initial sync) that copies the whole volume. */
    public boolean isFullResync() {
        return direction != null && since.isNone();
    }

    /**
     * Which of {@code unit}'s changed blocks the resync copies (from the source to the target). The
     * resync copies, from source to target, the union over both units: each unit's own changes
     * since {@code since} must be overwritten with the source's version. {@code since} is always
     * either the unit's current generation (it changed nothing since) or its agreed one (its dirty
     * map covers exactly what it changed since).
     *
     * @throws IllegalStateException if this is not a sync, or {@code unit} cannot tell its changes
     *     since {@code since} (it was not one of the two states this decision was made from)
     */
    public ChangedBlocks changedBlocksOf(GenerationState unit) {
        if (direction == null) {
            throw new IllegalStateException(kind + " copies nothing");
        }
        if (since.isNone()) {
            return ChangedBlocks.WHOLE_VOLUME;
        }
        if (unit.current().equals(since)) {
            return ChangedBlocks.NOTHING;
        }
        if (unit.agreed().equals(since)) {
            return ChangedBlocks.SINCE_AGREED;
        }
        throw new IllegalStateException("unit at " + unit.current() + " (agreed " + unit.agreed()
                + ") cannot tell its changes since generation " + since);
    }
}
