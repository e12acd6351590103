package org.blockmirror.role;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.random.RandomGenerator;

/**
 * One unit's role and generation identifiers for one volume: what the handshake compares
 * ({@link HandshakeRules#decide}) and what {@link RoleStateFile} keeps on disk. Immutable; every
 * transition returns a new state, which the daemon persists <em>before</em> acting on it.
 *
 * @param role PRIMARY or SECONDARY
 * @param current the generation of this unit's data; {@link GenerationId#NONE} only on a unit that
 *     never held data (then {@code agreed} is none and {@code history} is empty)
 * @param agreed the generation both units last agreed on, kept while this unit has changes the peer
 *     may lack (set by a promote --force or by the first write after losing the peer; cleared when
 *     the units agree again). This unit's dirty map covers every block it changed since then.
 *     {@link GenerationId#NONE} when the unit has no such changes.
 * @param history earlier generations of this unit's data, newest first, at most
 *     {@link #HISTORY_LIMIT}; none of them is NONE, {@code current} or {@code agreed}
 * @param flags see {@link Flag}
 */
public record GenerationState(Role role, GenerationId current, GenerationId agreed, List<GenerationId> history,
        Set<GenerationState.Flag> flags) {

    /** How many earlier generations a unit remembers. */
    public static final int HISTORY_LIMIT = 4;

    /** Conditions a unit persists besides its generations. Bit values are the on-disk/wire codes. */
    public enum Flag {
        /**
         * A primary lost its peer with nothing unacknowledged. Its next host write starts a new
         * generation first; a disconnect without writes therefore never looks like a split brain.
         */
        DETACHED(1),
        /** A resync into this unit is under way: its volume is a mix of two generations. */
        INCONSISTENT(2),
        /** The administrator chose the peer's data: this unit's diverging changes are overwritten. */
        DISCARD_LOCAL(4),
        /** The administrator chose this unit's data: the peer's diverging changes are overwritten. */
        KEEP_LOCAL(8),
        /**
         * A primary learned that the peer moved past its generation (the peer was promoted while
         * this unit was cut off), or that the administrator kept the peer's data: it must accept no
         * more host writes ({@link WriteToken}). Persisted, so a restart does not forget it.
         */
        FENCED(16);

        private final int bit;

        Flag(int bit) {
            this.bit = bit;
        }

        public int bit() {
            return bit;
        }
    }

    public GenerationState {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(current, "current");
        Objects.requireNonNull(agreed, "agreed");
        history = List.copyOf(history);
        EnumSet<Flag> f = EnumSet.noneOf(Flag.class);
        f.addAll(flags);
        flags = Collections.unmodifiableSet(f);

        if (current.isNone()) {
            if (role == Role.PRIMARY) {
                throw new IllegalArgumentException("a primary must have a data generation");
            }
            if (!agreed.isNone() || !history.isEmpty()) {
                throw new IllegalArgumentException("a unit without a data generation has no agreed generation or history");
            }
        }
        if (!agreed.isNone() && agreed.equals(current)) {
            throw new IllegalArgumentException("agreed generation " + agreed + " equals the current one");
        }
        if (history.size() > HISTORY_LIMIT) {
            throw new IllegalArgumentException("history of " + history.size() + " generations exceeds " + HISTORY_LIMIT);
        }
        Set<GenerationId> seen = new HashSet<>();
        for (GenerationId g : history) {
            if (g.isNone() || g.equals(current) || g.equals(agreed) || !seen.add(g)) {
                throw new IllegalArgumentException("history " + history
                        + " must hold distinct generations other than none, current and agreed");
            }
        }
        if (f.contains(Flag.DETACHED) && (role != Role.PRIMARY || !agreed.isNone())) {
            throw new IllegalArgumentException("DETACHED is only for a primary without an agreed generation");
        }
        if ((f.contains(Flag.INCONSISTENT) || f.contains(Flag.DISCARD_LOCAL)) && role != Role.SECONDARY) {
            throw new IllegalArgumentException("INCONSISTENT and DISCARD_LOCAL are only for a secondary");
        }
        if (f.contains(Flag.FENCED) && (role != Role.PRIMARY || f.contains(Flag.KEEP_LOCAL))) {
            throw new IllegalArgumentException("FENCED is only for a primary without KEEP_LOCAL");
        }
        if (f.contains(Flag.DISCARD_LOCAL) && f.contains(Flag.KEEP_LOCAL)) {
            throw new IllegalArgumentException("DISCARD_LOCAL and KEEP_LOCAL exclude each other");
        }
    }

    /** A unit that never held data: secondary, no generation. */
    public static GenerationState fresh() {
        return new GenerationState(Role.SECONDARY, GenerationId.NONE, GenerationId.NONE, List.of(), Set.of());
    }

    public boolean has(Flag flag) {
        return flags.contains(flag);
    }

    public boolean isPrimary() {
        return role == Role.PRIMARY;
    }

    /** True when this unit has changes since {@link #agreed()} that the peer may lack. */
    public boolean hasChangesSinceAgreement() {
        return !agreed.isNone();
    }

    /** {@code agreed} (if any) followed by the history: every generation this unit's data descends from. */
    public List<GenerationId> earlier() {
        if (agreed.isNone()) {
            return history;
        }
        List<GenerationId> all = new ArrayList<>(history.size() + 1);
        all.add(agreed);
        all.addAll(history);
        return all;
    }

    // ---------------------------------------------------------------- transitions

    /**
     * Normal promotion (part of a role reversal): the peer is connected, secondary, and holds the
     * same data generation. The generation is kept: nothing diverges. On a brand-new pair (both
     * units without data) the promoted unit starts the first generation, and the peer then gets an
     * initial sync. Draining the journal first is the daemon's job.
     */
    public GenerationState promote(GenerationState peer, RandomGenerator random) {
        requireRole(Role.SECONDARY, "promote", "it is already primary");
        requirePromotable("promote");
        if (peer.isPrimary()) {
            throw new RoleTransitionException("cannot promote: the peer is primary; demote it first (role reverse does both)");
        }
        if (current.isNone() && peer.current.isNone()) {
            return new GenerationState(Role.PRIMARY, GenerationId.random(random), GenerationId.NONE, history, flags);
        }
        HandshakeDecision d = HandshakeRules.decide(this, peer);
        if (d.kind() != HandshakeDecision.Kind.IN_SYNC_STREAM) {
            throw new RoleTransitionException("cannot promote: not in sync with the peer (" + d.kind() + ": "
                    + d.explanation() + "); let the resync finish, or use promote --force if the peer is gone");
        }
        return withRole(Role.PRIMARY);
    }

    /**
     * Promotion without the peer (disaster recovery, `role promote --force`): a new generation
     * starts, and the one it replaces is remembered as the agreed generation, so that the peer's
     * return is recognised as "behind" (resync from here) or as a split brain (it wrote too).
     */
    public GenerationState promoteForce(RandomGenerator random) {
        requireRole(Role.SECONDARY, "promote --force", "it is already primary");
        requirePromotable("promote --force");
        if (current.isNone()) {
            return new GenerationState(Role.PRIMARY, GenerationId.random(random), GenerationId.NONE, history, flags);
        }
        return rotate(random).withRole(Role.PRIMARY);
    }

    /**
     * The unit stops accepting host writes. The generation is unchanged, unless the peer has not
     * acknowledged every write yet: then a new generation starts (as when the link is lost with
     * unacknowledged writes), so that the peer cannot be promoted as if it held the same data.
     * Role reverse drains the journal first and never needs that.
     */
    public GenerationState demote(boolean unacknowledgedWrites, RandomGenerator random) {
        requireRole(Role.PRIMARY, "demote", "it is already secondary");
        GenerationState s = unacknowledgedWrites && !hasChangesSinceAgreement() ? rotate(random) : this;
        EnumSet<Flag> f = s.copyFlags();
        f.remove(Flag.DETACHED); // a secondary takes no host writes, so there is nothing to start lazily
        f.remove(Flag.FENCED); // a later promotion is checked against the peer afresh
        return new GenerationState(Role.SECONDARY, s.current, s.agreed, s.history, f);
    }

    /**
     * The link to the peer went down. A secondary is unaffected; so is a primary that already has
     * changes since an agreed generation (its dirty map keeps covering them). Otherwise a primary
     * with writes the peer has not acknowledged starts a new generation at once (those writes may be
     * missing on the peer, which could be promoted meanwhile); one without becomes
     * {@link Flag#DETACHED} and starts the new generation on its next write
     * ({@link #beforeHostWrite}), so an idle disconnect changes nothing.
     */
    public GenerationState linkLost(boolean unacknowledgedWrites, RandomGenerator random) {
        if (role != Role.PRIMARY || hasChangesSinceAgreement()) {
            return this;
        }
        if (unacknowledgedWrites) {
            return rotate(random);
        }
        EnumSet<Flag> f = copyFlags();
        f.add(Flag.DETACHED);
        return new GenerationState(role, current, agreed, history, f);
    }

    /**
     * Called before a host write is accepted. Returns {@code this} unless the unit is
     * {@link Flag#DETACHED}, in which case it returns the state with a new generation, which must be
     * persisted before the write is acknowledged.
     */
    public GenerationState beforeHostWrite(RandomGenerator random) {
        requireRole(Role.PRIMARY, "accept a host write", "a secondary accepts no host writes");
        if (has(Flag.FENCED)) {
            throw new RoleTransitionException("cannot accept a host write: this unit is fenced (the peer moved past"
                    + " its generation " + current + ")");
        }
        return has(Flag.DETACHED) ? rotate(random) : this;
    }

    /**
     * A state the peer announced (handshake, later heartbeats). A primary that sees the peer moved
     * past its current generation — the peer's agreed generation or history holds it — or sees the
     * administrator kept the peer's data over its own, becomes {@link Flag#FENCED}; a peer whose data
     * the administrator gave up ({@link Flag#DISCARD_LOCAL}) lifts the fence. Anything else returns
     * {@code this}. Persist the result before answering the next host write.
     */
    public GenerationState observePeer(GenerationState peer) {
        if (role != Role.PRIMARY || has(Flag.KEEP_LOCAL) || peer.current.equals(current)) {
            return this;
        }
        EnumSet<Flag> f = copyFlags();
        if (peer.has(Flag.DISCARD_LOCAL)) {
            f.remove(Flag.FENCED); // the administrator gave up the peer's data: ours stands
        } else if (peer.earlier().contains(current) || peer.has(Flag.KEEP_LOCAL)) {
            f.add(Flag.FENCED);
        }
        return f.equals(flags) ? this : new GenerationState(role, current, agreed, history, f);
    }

    /** This unit becomes a resync target: persisted before the first resync block is written. */
    public GenerationState resyncStarted() {
        requireRole(Role.SECONDARY, "become a resync target", "a primary's volume is in use by its host");
        EnumSet<Flag> f = copyFlags();
        f.add(Flag.INCONSISTENT);
        return new GenerationState(role, current, agreed, history, f);
    }

    /**
     * The resync into this unit completed: it now holds {@code source}'s data (the state the source
     * announced in the handshake that started the resync) and takes over its generations.
     */
    public GenerationState syncedFrom(GenerationState source) {
        requireRole(Role.SECONDARY, "complete a resync as target", "a primary is never a resync target");
        if (source.current.isNone() || source.has(Flag.INCONSISTENT)) {
            throw new RoleTransitionException("cannot complete a resync from a source without consistent data");
        }
        return new GenerationState(Role.SECONDARY, source.current, GenerationId.NONE,
                trimmedHistory(source.earlier(), source.current), EnumSet.noneOf(Flag.class));
    }

    /**
     * The units agree again: the handshake found the same generation on both (IN_SYNC_STREAM), or a
     * resync from this unit completed. The agreed generation goes into the history (this unit's
     * dirty map since it may be dropped), and the lost-peer, resolution and fence flags are cleared.
     */
    public GenerationState inSyncWithPeer() {
        if (has(Flag.INCONSISTENT)) {
            throw new RoleTransitionException("an inconsistent unit gets in sync only by completing its resync");
        }
        EnumSet<Flag> f = copyFlags();
        f.remove(Flag.DETACHED);
        f.remove(Flag.KEEP_LOCAL);
        f.remove(Flag.DISCARD_LOCAL);
        f.remove(Flag.FENCED); // same data as the peer, which is secondary (else the handshake refused)
        return new GenerationState(role, current, GenerationId.NONE, trimmedHistory(earlier(), current), f);
    }

    /**
     * The administrator chose the survivor. KEEP_PEER also demotes this unit (its data is to be
     * overwritten, so its host must stop using it), like {@link #demote} with
     * {@code unacknowledgedWrites}. Nothing is discarded here: the flag only lets the next
     * handshake pick the direction ({@link HandshakeRules}).
     */
    public GenerationState resolve(Resolution resolution, boolean unacknowledgedWrites, RandomGenerator random) {
        if (resolution == Resolution.KEEP_LOCAL) {
            if (current.isNone() || has(Flag.INCONSISTENT)) {
                throw new RoleTransitionException("cannot keep this unit's data: "
                        + (current.isNone() ? "it has none" : "it is an incomplete resync target"));
            }
            EnumSet<Flag> f = copyFlags();
            f.remove(Flag.DISCARD_LOCAL);
            f.remove(Flag.FENCED);
            f.add(Flag.KEEP_LOCAL);
            return new GenerationState(role, current, agreed, history, f);
        }
        GenerationState s = isPrimary() ? demote(unacknowledgedWrites, random) : this;
        EnumSet<Flag> f = s.copyFlags();
        f.remove(Flag.KEEP_LOCAL);
        f.add(Flag.DISCARD_LOCAL);
        return new GenerationState(Role.SECONDARY, s.current, s.agreed, s.history, f);
    }

    // ---------------------------------------------------------------- helpers

    /** A new current generation; the old one becomes the agreed one unless one is already kept. */
    private GenerationState rotate(RandomGenerator random) {
        GenerationId next;
        do {
            next = GenerationId.random(random);
        } while (next.equals(current) || next.equals(agreed) || history.contains(next));
        EnumSet<Flag> f = copyFlags();
        f.remove(Flag.DETACHED);
        if (agreed.isNone()) {
            return new GenerationState(role, next, current, history, f);
        }
        List<GenerationId> h = new ArrayList<>();
        h.add(current);
        h.addAll(history);
        return new GenerationState(role, next, agreed, trimmedHistory(h, next, agreed), f);
    }

    private GenerationState withRole(Role r) {
        return new GenerationState(r, current, agreed, history, flags);
    }

    private EnumSet<Flag> copyFlags() {
        EnumSet<Flag> f = EnumSet.noneOf(Flag.class);
        f.addAll(flags);
        return f;
    }

    private void requireRole(Role required, String action, String because) {
        if (role != required) {
            throw new RoleTransitionException("cannot " + action + ": " + because);
        }
    }

    private void requirePromotable(String action) {
        if (has(Flag.INCONSISTENT)) {
            throw new RoleTransitionException("cannot " + action
                    + ": this unit is an incomplete resync target and its volume mixes two generations");
        }
        if (has(Flag.DISCARD_LOCAL)) {
            throw new RoleTransitionException("cannot " + action + ": the administrator chose the peer's data"
                    + " (resolve --keep-peer); run resolve --keep-local first to change that choice");
        }
    }

    /** {@code candidates} without NONE, duplicates and {@code excluded}, cut to the limit. */
    private static List<GenerationId> trimmedHistory(List<GenerationId> candidates, GenerationId... excluded) {
        List<GenerationId> out = new ArrayList<>(HISTORY_LIMIT);
        for (GenerationId g : candidates) {
            if (out.size() == HISTORY_LIMIT) {
                break;
            }
            if (!g.isNone() && !out.contains(g) && !List.of(excluded).contains(g)) {
                out.add(g);
            }
        }
        return out;
    }

    @Override
    public String toString() {
        return role + " current=" + current + " agreed=" + agreed + " history=" + history + " flags=" + flags;
    }
}
