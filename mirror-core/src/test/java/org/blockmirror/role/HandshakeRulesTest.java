package org.blockmirror.role;

import static org.blockmirror.role.HandshakeDecision.Direction.LOCAL_TO_PEER;
import static org.blockmirror.role.HandshakeDecision.Direction.PEER_TO_LOCAL;
import static org.blockmirror.role.States.g;
import static org.blockmirror.role.States.primary;
import static org.blockmirror.role.States.secondary;
import static org.blockmirror.role.States.with;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.SplittableRandom;
import org.blockmirror.role.GenerationState.Flag;
import org.blockmirror.role.HandshakeDecision.ChangedBlocks;
import org.blockmirror.role.HandshakeDecision.Direction;
import org.blockmirror.role.HandshakeDecision.Kind;
import org.junit.jupiter.api.Test;

/** One test per row of the decision table in docs/roles.md, each checked from both sides. */
class HandshakeRulesTest {

    private static final GenerationState FRESH = GenerationState.fresh();

    /** Decides from both sides and checks they agree; returns the local side's decision. */
    private static HandshakeDecision decide(GenerationState local, GenerationState peer) {
        HandshakeDecision d = HandshakeRules.decide(local, peer);
        HandshakeDecision other = HandshakeRules.decide(peer, local);
        assertEquals(mirror(d.kind()), other.kind(), "seen from the peer: " + other.explanation());
        assertEquals(d.direction() == null ? null : flip(d.direction()), other.direction());
        assertEquals(d.since(), other.since());
        return d;
    }

    private static Kind mirror(Kind k) {
        return switch (k) {
            case RESYNC_LOCAL_TO_PEER -> Kind.RESYNC_PEER_TO_LOCAL;
            case RESYNC_PEER_TO_LOCAL -> Kind.RESYNC_LOCAL_TO_PEER;
            default -> k;
        };
    }

    private static Direction flip(Direction d) {
        return d == LOCAL_TO_PEER ? PEER_TO_LOCAL : LOCAL_TO_PEER;
    }

    private static void assertRefused(Kind kind, HandshakeDecision d, String explanationPart) {
        assertEquals(kind, d.kind(), d.explanation());
        assertTrue(kind.isRefusal());
        assertNull(d.direction());
        assertTrue(d.explanation().contains(explanationPart), d.explanation());
    }

    private static void assertSync(Kind kind, Direction direction, long since, HandshakeDecision d) {
        assertEquals(kind, d.kind(), d.explanation());
        assertEquals(direction, d.direction());
        assertEquals(g(since), d.since());
    }

    // ---- rows 1-3: units without data

    @Test
    void row1_neitherHasData() {
        assertRefused(Kind.NO_USABLE_SOURCE, decide(FRESH, FRESH), "neither unit has data");
    }

    @Test
    void row2_localHasNoData_initialSyncFromPeer() {
        HandshakeDecision d = decide(FRESH, primary(7, 0));
        assertSync(Kind.INITIAL_SYNC, PEER_TO_LOCAL, 0, d);
        assertEquals(ChangedBlocks.WHOLE_VOLUME, d.changedBlocksOf(FRESH));
        assertSync(Kind.INITIAL_SYNC, PEER_TO_LOCAL, 0, decide(FRESH, secondary(7, 0)));
    }

    @Test
    void row3_peerHasNoData_initialSyncToPeer() {
        assertSync(Kind.INITIAL_SYNC, LOCAL_TO_PEER, 0, decide(primary(7, 3, 2), FRESH));
    }

    @Test
    void row2_initialSyncFromAnIncompleteTargetIsRefused() {
        assertRefused(Kind.NO_USABLE_SOURCE, decide(FRESH, with(secondary(7, 0), Flag.INCONSISTENT)),
                "source is an incomplete resync target");
    }

    // ---- rows 4-7: the same generation

    @Test
    void row4_sameGenerationBothInconsistent() {
        GenerationState s = with(secondary(7, 0), Flag.INCONSISTENT);
        assertRefused(Kind.NO_USABLE_SOURCE, decide(s, s), "both units are incomplete");
    }

    @Test
    void row5_sameGenerationOneInconsistent_fullResyncToIt() {
        HandshakeDecision d = decide(primary(7, 0), with(secondary(7, 0), Flag.INCONSISTENT));
        assertSync(Kind.RESYNC_LOCAL_TO_PEER, LOCAL_TO_PEER, 0, d);
        assertTrue(d.isFullResync());
    }

    @Test
    void row6_sameGenerationBothPrimary() {
        assertRefused(Kind.BOTH_PRIMARY, decide(primary(7, 0), primary(7, 0)), "demote one");
    }

    @Test
    void row7_sameGeneration_streamAsUsual() {
        assertEquals(Kind.IN_SYNC_STREAM, decide(primary(7, 0, 3), secondary(7, 0, 3)).kind());
        assertEquals(Kind.IN_SYNC_STREAM, decide(secondary(7, 0), secondary(7, 0)).kind());
        // the history and the agreed generation do not matter once the data generation is the same
        assertEquals(Kind.IN_SYNC_STREAM, decide(primary(7, 3, 2), secondary(7, 0, 9)).kind());
        // nor do the administrator's choices: there is nothing to discard
        assertEquals(Kind.IN_SYNC_STREAM, decide(with(primary(7, 0), Flag.KEEP_LOCAL),
                with(secondary(7, 0), Flag.KEEP_LOCAL)).kind());
    }

    // ---- row 8: contradicting choices

    @Test
    void row8_bothKeepTheirOwnData() {
        assertRefused(Kind.SPLIT_BRAIN, decide(with(primary(8, 7), Flag.KEEP_LOCAL), with(primary(9, 7), Flag.KEEP_LOCAL)),
                "contradict");
    }

    @Test
    void row8_bothDiscardTheirOwnData() {
        assertRefused(Kind.SPLIT_BRAIN, decide(with(secondary(8, 7), Flag.DISCARD_LOCAL),
                with(secondary(9, 7), Flag.DISCARD_LOCAL)), "contradict");
    }

    // ---- rows 9-10: diverged

    @Test
    void row9_splitBrainByCommonAgreedGeneration() {
        HandshakeDecision d = decide(primary(8, 7), primary(9, 7));
        assertRefused(Kind.SPLIT_BRAIN, d, "since generation 0000000000000007");
        assertRefused(Kind.SPLIT_BRAIN, decide(secondary(8, 7), secondary(9, 7)), "role resolve");
    }

    @Test
    void row9_splitBrainByCommonHistory() {
        assertRefused(Kind.SPLIT_BRAIN, decide(primary(8, 0, 5, 4), secondary(9, 6, 4)),
                "too long ago for a dirty map");
        assertRefused(Kind.SPLIT_BRAIN, decide(primary(8, 5), secondary(9, 0, 5)), "since generation 0000000000000005");
    }

    @Test
    void row9_contradictingGenerationsCountAsSplitBrain() {
        assertRefused(Kind.SPLIT_BRAIN, decide(secondary(8, 9), secondary(9, 8)), "contradict");
        assertRefused(Kind.SPLIT_BRAIN, decide(secondary(8, 0, 9), secondary(9, 0, 8)), "contradict");
    }

    @Test
    void row10_splitBrainResolved_resyncCoversBothDirtyMaps() {
        GenerationState keeper = with(primary(8, 7), Flag.KEEP_LOCAL);
        GenerationState victim = secondary(9, 7);
        HandshakeDecision d = decide(keeper, victim);
        assertSync(Kind.RESYNC_LOCAL_TO_PEER, LOCAL_TO_PEER, 7, d);
        assertEquals(ChangedBlocks.SINCE_AGREED, d.changedBlocksOf(keeper));
        assertEquals(ChangedBlocks.SINCE_AGREED, d.changedBlocksOf(victim));
        // the same choice made on the victim
        assertSync(Kind.RESYNC_LOCAL_TO_PEER, LOCAL_TO_PEER, 7,
                decide(primary(8, 7), with(secondary(9, 7), Flag.DISCARD_LOCAL)));
        // found through the history only: the whole volume
        assertSync(Kind.RESYNC_PEER_TO_LOCAL, PEER_TO_LOCAL, 0,
                decide(with(secondary(8, 0, 5), Flag.DISCARD_LOCAL), primary(9, 0, 5)));
    }

    // ---- rows 11-12: unrelated

    @Test
    void row11_unrelatedData() {
        assertRefused(Kind.UNRELATED_DATA, decide(primary(8, 0, 1), secondary(9, 2, 3)), "no generation in common");
    }

    @Test
    void row12_unrelatedDataWithASurvivor_fullResync() {
        assertSync(Kind.RESYNC_PEER_TO_LOCAL, PEER_TO_LOCAL, 0,
                decide(with(secondary(8, 0), Flag.DISCARD_LOCAL), secondary(9, 0)));
    }

    // ---- rows 13-16: one side ahead

    @Test
    void row13_localAheadButThePeersDataWasKept() {
        // the F11 case seen from the promoted secondary that was told to discard its changes
        GenerationState promotedSecondary = with(secondary(9, 7), Flag.DISCARD_LOCAL);
        HandshakeDecision d = decide(promotedSecondary, primary(7, 0));
        assertSync(Kind.RESYNC_PEER_TO_LOCAL, PEER_TO_LOCAL, 7, d);
        assertEquals(ChangedBlocks.SINCE_AGREED, d.changedBlocksOf(promotedSecondary));
        assertEquals(ChangedBlocks.NOTHING, d.changedBlocksOf(primary(7, 0)));
        assertTrue(d.explanation().contains("overwritten"), d.explanation());
    }

    @Test
    void row14_localAheadByDirtyMap() {
        HandshakeDecision d = decide(primary(9, 7), secondary(7, 0));
        assertSync(Kind.RESYNC_LOCAL_TO_PEER, LOCAL_TO_PEER, 7, d);
        assertEquals(ChangedBlocks.SINCE_AGREED, d.changedBlocksOf(primary(9, 7)));
        assertEquals(ChangedBlocks.NOTHING, d.changedBlocksOf(secondary(7, 0)));
    }

    @Test
    void row14_localAheadByHistory_fullResync() {
        HandshakeDecision d = decide(primary(9, 0, 7), secondary(7, 0));
        assertSync(Kind.RESYNC_LOCAL_TO_PEER, LOCAL_TO_PEER, 0, d);
        assertEquals(ChangedBlocks.WHOLE_VOLUME, d.changedBlocksOf(secondary(7, 0)));
    }

    @Test
    void row15_peerAheadButThisUnitsDataWasKept() {
        assertSync(Kind.RESYNC_LOCAL_TO_PEER, LOCAL_TO_PEER, 7,
                decide(with(primary(7, 0), Flag.KEEP_LOCAL), secondary(9, 7)));
    }

    @Test
    void row16_peerAhead() {
        assertSync(Kind.RESYNC_PEER_TO_LOCAL, PEER_TO_LOCAL, 7, decide(secondary(7, 0), primary(9, 7)));
        assertSync(Kind.RESYNC_PEER_TO_LOCAL, PEER_TO_LOCAL, 0, decide(secondary(7, 0), primary(9, 0, 7)));
    }

    // ---- rows 17-19: checks once the direction is known

    @Test
    void row17_resyncFromAnIncompleteTargetIsRefused() {
        assertRefused(Kind.NO_USABLE_SOURCE, decide(with(secondary(9, 7), Flag.INCONSISTENT), secondary(7, 0)),
                "source is an incomplete resync target");
    }

    @Test
    void row18_resyncBetweenTwoPrimaries() {
        // the old primary stayed idle, the secondary was promoted with --force and wrote
        assertRefused(Kind.BOTH_PRIMARY, decide(primary(7, 0), primary(9, 7)), "demote this unit");
    }

    @Test
    void row19_theUnitToBeOverwrittenIsPrimary() {
        assertRefused(Kind.STALE_PRIMARY, decide(primary(7, 0), secondary(9, 7)), "this unit would be overwritten");
        // kept by the administrator, but the unit to be overwritten is still primary
        assertRefused(Kind.STALE_PRIMARY, decide(with(secondary(9, 7), Flag.KEEP_LOCAL), primary(7, 0)),
                "the peer would be overwritten and is primary");
        assertRefused(Kind.STALE_PRIMARY, decide(with(secondary(8, 7), Flag.KEEP_LOCAL), primary(9, 7)),
                "role resolve --keep-local");
    }

    @Test
    void changedBlocksOfAnUnrelatedUnitIsAnError() {
        HandshakeDecision d = decide(primary(9, 7), secondary(7, 0));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> d.changedBlocksOf(secondary(5, 0)));
        assertTrue(e.getMessage().contains("cannot tell its changes since generation 0000000000000007"), e.getMessage());
        IllegalStateException none = assertThrows(IllegalStateException.class,
                () -> decide(primary(7, 0), secondary(7, 0)).changedBlocksOf(FRESH));
        assertEquals("IN_SYNC_STREAM copies nothing", none.getMessage());
    }

    @Test
    void decisionsAreWellFormed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new HandshakeDecision(Kind.RESYNC_LOCAL_TO_PEER, PEER_TO_LOCAL, g(7), "x"));
        assertEquals("RESYNC_LOCAL_TO_PEER cannot flow PEER_TO_LOCAL", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new HandshakeDecision(Kind.INITIAL_SYNC, null, g(0), "x"));
        assertEquals("INITIAL_SYNC needs a direction", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new HandshakeDecision(Kind.SPLIT_BRAIN, LOCAL_TO_PEER, g(0), "x"));
        assertEquals("SPLIT_BRAIN has no direction", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new HandshakeDecision(Kind.INITIAL_SYNC, LOCAL_TO_PEER, g(7), "x"));
        assertEquals("INITIAL_SYNC has no since generation", e.getMessage());
    }

    /**
     * Symmetry and the "since" contract over many random states built from a small pool of
     * generations, so that every relation (and many impossible ones) occurs.
     */
    @Test
    void randomPairsAreDecidedTheSameFromBothSidesAndResyncsAreCoverable() {
        SplittableRandom random = new SplittableRandom(20261122);
        EnumSet<Kind> seen = EnumSet.noneOf(Kind.class);
        for (int i = 0; i < 10000; i++) {
            GenerationState a = randomState(random);
            GenerationState b = randomState(random);
            HandshakeDecision d = decide(a, b);
            seen.add(d.kind());
            if (d.direction() != null) {
                // both sides can always say which blocks they contribute
                d.changedBlocksOf(a);
                d.changedBlocksOf(b);
                GenerationState target = d.direction() == LOCAL_TO_PEER ? b : a;
                GenerationState source = d.direction() == LOCAL_TO_PEER ? a : b;
                assertTrue(!target.isPrimary() && !source.has(Flag.INCONSISTENT), d.toString());
                // nothing the target changed is overwritten unless an administrator chose so
                if (!target.current().isNone() && d.changedBlocksOf(target) != ChangedBlocks.NOTHING
                        && !target.has(Flag.INCONSISTENT) && !source.earlier().contains(target.current())
                        && !target.current().equals(source.current())) {
                    assertTrue(target.has(Flag.DISCARD_LOCAL) || source.has(Flag.KEEP_LOCAL), a + " / " + b + ": " + d);
                }
            }
        }
        assertEquals(EnumSet.allOf(Kind.class), seen, "the random states reach every kind of decision");
    }

    private static GenerationState randomState(SplittableRandom r) {
        for (;;) {
            try {
                Role role = r.nextBoolean() ? Role.PRIMARY : Role.SECONDARY;
                long current = r.nextInt(6);
                long agreed = r.nextInt(3) == 0 ? r.nextInt(6) : 0;
                List<GenerationId> history = new ArrayList<>();
                for (int n = r.nextInt(3); n > 0; n--) {
                    history.add(g(1 + r.nextInt(5)));
                }
                EnumSet<Flag> flags = EnumSet.noneOf(Flag.class);
                for (Flag f : Flag.values()) {
                    if (r.nextInt(5) == 0) {
                        flags.add(f);
                    }
                }
                return new GenerationState(role, g(current), g(agreed), history, flags);
            } catch (IllegalArgumentException invalid) {
                // draw again: only valid states are compared
            }
        }
    }
}
