package org.blockmirror.role;

import static org.blockmirror.role.HandshakeDecision.Direction.LOCAL_TO_PEER;
import static org.blockmirror.role.HandshakeDecision.Direction.PEER_TO_LOCAL;

import java.util.List;
import org.blockmirror.role.GenerationState.Flag;
import org.blockmirror.role.HandshakeDecision.Direction;
import org.blockmirror.role.HandshakeDecision.Kind;

/**
 * The sync handshake rules: from the two units' {@link GenerationState}s, decide who streams,
 * who resyncs from whom and over which blocks, or why mirroring is refused. Pure and symmetric:
 * {@code decide(a, b)} and {@code decide(b, a)} give the same decision seen from either side. The
 * table, row by row, is in docs/roles.md ("The decision table"); the row numbers are in the
 * comments below.
 */
public final class HandshakeRules {

    private HandshakeRules() {
    }

    /** How the two units' data relate, before roles and the administrator's choice are applied. */
    private enum Relation {
        SAME, LOCAL_AHEAD, PEER_AHEAD, DIVERGED, UNRELATED
    }

    private record Comparison(Relation relation, GenerationId since, String why) {
    }

    public static HandshakeDecision decide(GenerationState local, GenerationState peer) {
        // Rows 1-3: a unit that never held data.
        if (local.current().isNone() && peer.current().isNone()) {
            return refuse(Kind.NO_USABLE_SOURCE, "neither unit has data yet: promote one to start the initial sync");
        }
        if (local.current().isNone()) {
            return sync(Kind.INITIAL_SYNC, PEER_TO_LOCAL, GenerationId.NONE, local, peer,
                    "this unit has no data yet: the whole volume comes from the peer");
        }
        if (peer.current().isNone()) {
            return sync(Kind.INITIAL_SYNC, LOCAL_TO_PEER, GenerationId.NONE, local, peer,
                    "the peer has no data yet: the whole volume goes to it");
        }

        Comparison c = compare(local, peer);
        Direction survivor = survivor(local, peer);

        // Rows 4-7: the same generation on both sides.
        if (c.relation() == Relation.SAME) {
            boolean li = local.has(Flag.INCONSISTENT);
            boolean pi = peer.has(Flag.INCONSISTENT);
            if (li && pi) {
                return refuse(Kind.NO_USABLE_SOURCE, "both units are incomplete resync targets at generation "
                        + local.current());
            }
            if (li || pi) {
                return sync(li ? Kind.RESYNC_PEER_TO_LOCAL : Kind.RESYNC_LOCAL_TO_PEER, li ? PEER_TO_LOCAL : LOCAL_TO_PEER,
                        GenerationId.NONE, local, peer, "same generation " + local.current()
                                + " but one unit is an incomplete resync target with no record of what it lacks");
            }
            if (local.isPrimary() && peer.isPrimary()) {
                return refuse(Kind.BOTH_PRIMARY, "both units are primary at generation " + local.current()
                        + ": demote one");
            }
            return new HandshakeDecision(Kind.IN_SYNC_STREAM, null, GenerationId.NONE,
                    "both units are at generation " + local.current());
        }

        // Row 8: the administrator gave contradicting choices.
        if (localSurvives(local, peer) && peerSurvives(local, peer)) {
            return refuse(Kind.SPLIT_BRAIN, c.why() + "; the administrator's choices contradict each other"
                    + " (both units keep, or both discard, their own data): resolve again on one unit");
        }

        return switch (c.relation()) {
            // Rows 9-10.
            case DIVERGED -> survivor == null
                    ? refuse(Kind.SPLIT_BRAIN, c.why() + ": choose the survivor with role resolve")
                    : resync(survivor, c.since(), local, peer, c.why() + "; the administrator kept "
                            + (survivor == LOCAL_TO_PEER ? "this unit's" : "the peer's") + " data");
            // Rows 11-12.
            case UNRELATED -> survivor == null
                    ? refuse(Kind.UNRELATED_DATA, c.why() + ": check the configuration; if the disks are right,"
                            + " choose the survivor with role resolve")
                    : resync(survivor, GenerationId.NONE, local, peer, c.why() + "; the administrator kept "
                            + (survivor == LOCAL_TO_PEER ? "this unit's" : "the peer's") + " data");
            // Rows 13-16.
            case LOCAL_AHEAD -> survivor == PEER_TO_LOCAL
                    ? resync(PEER_TO_LOCAL, c.since(), local, peer, c.why()
                            + "; the administrator kept the peer's data, so this unit's later changes are overwritten")
                    : resync(LOCAL_TO_PEER, c.since(), local, peer, c.why());
            case PEER_AHEAD -> survivor == LOCAL_TO_PEER
                    ? resync(LOCAL_TO_PEER, c.since(), local, peer, c.why()
                            + "; the administrator kept this unit's data, so the peer's later changes are overwritten")
                    : resync(PEER_TO_LOCAL, c.since(), local, peer, c.why());
            case SAME -> throw new AssertionError();
        };
    }

    /**
     * How the data relate. Each test is made in both directions at once, so the answer does not
     * depend on which side asks; contradicting answers (possible only with damaged or hand-made
     * states) count as divergence, the side that refuses.
     */
    private static Comparison compare(GenerationState local, GenerationState peer) {
        GenerationId lc = local.current();
        GenerationId pc = peer.current();
        if (lc.equals(pc)) {
            return new Comparison(Relation.SAME, GenerationId.NONE, "same generation");
        }
        // The other side is still exactly at the generation this side last agreed with it: this side's
        // dirty map covers the difference.
        boolean localAheadByMap = !local.agreed().isNone() && local.agreed().equals(pc);
        boolean peerAheadByMap = !peer.agreed().isNone() && peer.agreed().equals(lc);
        if (localAheadByMap || peerAheadByMap) {
            if (localAheadByMap && peerAheadByMap) {
                return new Comparison(Relation.DIVERGED, GenerationId.NONE,
                        "the generations contradict each other (each unit agreed last at the other's current)");
            }
            return localAheadByMap
                    ? new Comparison(Relation.LOCAL_AHEAD, pc, "the peer is still at generation " + pc
                            + ", this unit changed blocks since (now " + lc + ")")
                    : new Comparison(Relation.PEER_AHEAD, lc, "this unit is still at generation " + lc
                            + ", the peer changed blocks since (now " + pc + ")");
        }
        // The other side's data is an older generation of this side's, with no dirty map reaching back.
        boolean localAheadByHistory = local.history().contains(pc);
        boolean peerAheadByHistory = peer.history().contains(lc);
        if (localAheadByHistory || peerAheadByHistory) {
            if (localAheadByHistory && peerAheadByHistory) {
                return new Comparison(Relation.DIVERGED, GenerationId.NONE,
                        "the generations contradict each other (each unit's history holds the other's current)");
            }
            return localAheadByHistory
                    ? new Comparison(Relation.LOCAL_AHEAD, GenerationId.NONE, "the peer's generation " + pc
                            + " is an old one of this unit's, too old for a dirty map")
                    : new Comparison(Relation.PEER_AHEAD, GenerationId.NONE, "this unit's generation " + lc
                            + " is an old one of the peer's, too old for a dirty map");
        }
        // Both sides moved on from the same agreement: a split brain whose changes both dirty maps cover.
        if (!local.agreed().isNone() && local.agreed().equals(peer.agreed())) {
            return new Comparison(Relation.DIVERGED, local.agreed(), "split brain: both units changed data since"
                    + " generation " + local.agreed() + " (now " + lc + " here, " + pc + " on the peer)");
        }
        List<GenerationId> peerEarlier = peer.earlier();
        for (GenerationId g : local.earlier()) {
            if (peerEarlier.contains(g)) {
                return new Comparison(Relation.DIVERGED, GenerationId.NONE, "split brain: both units changed data"
                        + " since generation " + g + " (now " + lc + " here, " + pc + " on the peer),"
                        + " too long ago for a dirty map");
            }
        }
        return new Comparison(Relation.UNRELATED, GenerationId.NONE, "no generation in common (" + lc
                + " here, " + pc + " on the peer)");
    }

    private static boolean localSurvives(GenerationState local, GenerationState peer) {
        return local.has(Flag.KEEP_LOCAL) || peer.has(Flag.DISCARD_LOCAL);
    }

    private static boolean peerSurvives(GenerationState local, GenerationState peer) {
        return peer.has(Flag.KEEP_LOCAL) || local.has(Flag.DISCARD_LOCAL);
    }

    /** The direction the administrator chose, or null when there is no choice (or two contradicting ones). */
    private static Direction survivor(GenerationState local, GenerationState peer) {
        boolean l = localSurvives(local, peer);
        boolean p = peerSurvives(local, peer);
        if (l == p) {
            return null;
        }
        return l ? LOCAL_TO_PEER : PEER_TO_LOCAL;
    }

    private static HandshakeDecision resync(Direction direction, GenerationId since, GenerationState local,
            GenerationState peer, String why) {
        return sync(direction == LOCAL_TO_PEER ? Kind.RESYNC_LOCAL_TO_PEER : Kind.RESYNC_PEER_TO_LOCAL, direction,
                since, local, peer, why);
    }

    /** Rows 17-19: roles and consistency checked once the direction is known. */
    private static HandshakeDecision sync(Kind kind, Direction direction, GenerationId since, GenerationState local,
            GenerationState peer, String why) {
        GenerationState source = direction == LOCAL_TO_PEER ? local : peer;
        GenerationState target = direction == LOCAL_TO_PEER ? peer : local;
        String targetName = direction == LOCAL_TO_PEER ? "the peer" : "this unit";
        if (source.has(Flag.INCONSISTENT)) {
            return refuse(Kind.NO_USABLE_SOURCE, why + ", but the source is an incomplete resync target");
        }
        if (local.isPrimary() && peer.isPrimary()) {
            return refuse(Kind.BOTH_PRIMARY, why + ", but both units are primary: demote " + targetName);
        }
        if (target.isPrimary()) {
            return refuse(Kind.STALE_PRIMARY, why + ", but " + targetName + " would be overwritten and is primary:"
                    + " demote it, or keep its data with role resolve --keep-local");
        }
        return new HandshakeDecision(kind, direction, since, why);
    }

    private static HandshakeDecision refuse(Kind kind, String why) {
        return new HandshakeDecision(kind, null, GenerationId.NONE, why);
    }
}
