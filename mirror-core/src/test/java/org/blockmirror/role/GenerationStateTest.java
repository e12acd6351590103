package org.blockmirror.role;

import static org.blockmirror.role.States.g;
import static org.blockmirror.role.States.primary;
import static org.blockmirror.role.States.secondary;
import static org.blockmirror.role.States.with;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.blockmirror.role.GenerationState.Flag;
import org.junit.jupiter.api.Test;

class GenerationStateTest {

    private final SplittableRandom random = new SplittableRandom(5);

    private static void assertRefused(String messagePart, Supplier<GenerationState> transition) {
        RoleTransitionException e = assertThrows(RoleTransitionException.class, transition::get);
        assertTrue(e.getMessage().contains(messagePart), e.getMessage());
    }

    private static void assertInvalid(String messagePart, Supplier<GenerationState> construction) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, construction::get);
        assertTrue(e.getMessage().contains(messagePart), e.getMessage());
    }

    // ---- invariants

    @Test
    void invalidStatesAreRejected() {
        assertInvalid("a primary must have a data generation", () -> primary(0, 0));
        assertInvalid("no agreed generation or history", () -> secondary(0, 3));
        assertInvalid("no agreed generation or history", () -> secondary(0, 0, 3));
        assertInvalid("equals the current one", () -> secondary(3, 3));
        assertInvalid("exceeds 4", () -> secondary(9, 0, 1, 2, 3, 4, 5));
        assertInvalid("distinct generations", () -> secondary(9, 0, 1, 1));
        assertInvalid("distinct generations", () -> secondary(9, 0, 9));
        assertInvalid("distinct generations", () -> secondary(9, 2, 2));
        assertInvalid("distinct generations", () -> secondary(9, 0, 0));
        assertInvalid("DETACHED", () -> with(secondary(9, 0), Flag.DETACHED));
        assertInvalid("DETACHED", () -> with(primary(9, 8), Flag.DETACHED));
        assertInvalid("only for a secondary", () -> with(primary(9, 0), Flag.INCONSISTENT));
        assertInvalid("only for a secondary", () -> with(primary(9, 0), Flag.DISCARD_LOCAL));
        assertInvalid("exclude each other", () -> with(secondary(9, 0), Flag.DISCARD_LOCAL, Flag.KEEP_LOCAL));
        assertInvalid("FENCED", () -> with(secondary(9, 0), Flag.FENCED));
        assertInvalid("FENCED", () -> with(primary(9, 0), Flag.FENCED, Flag.KEEP_LOCAL));
    }

    @Test
    void stateIsImmutable() {
        GenerationState s = secondary(9, 0, 1);
        assertThrows(UnsupportedOperationException.class, () -> s.history().add(g(2)));
        assertThrows(UnsupportedOperationException.class, () -> s.flags().add(Flag.KEEP_LOCAL));
        EnumSet<Flag> flags = EnumSet.noneOf(Flag.class);
        GenerationState t = new GenerationState(Role.SECONDARY, g(9), g(0), List.of(), flags);
        flags.add(Flag.INCONSISTENT);
        assertFalse(t.has(Flag.INCONSISTENT));
    }

    // ---- promote

    @Test
    void promoteOnANewPairStartsTheFirstGeneration() {
        GenerationState p = GenerationState.fresh().promote(GenerationState.fresh(), random);
        assertEquals(Role.PRIMARY, p.role());
        assertFalse(p.current().isNone());
        assertTrue(p.agreed().isNone());
    }

    @Test
    void promoteInSyncKeepsTheGeneration() {
        GenerationState p = secondary(7, 0, 3).promote(secondary(7, 0), random);
        assertEquals(primary(7, 0, 3), p);
    }

    @Test
    void promoteIsRefusedWhenNotInSyncOrThePeerIsPrimary() {
        assertRefused("already primary", () -> primary(7, 0).promote(secondary(7, 0), random));
        assertRefused("the peer is primary", () -> secondary(7, 0).promote(primary(7, 0), random));
        assertRefused("not in sync with the peer (RESYNC_PEER_TO_LOCAL", () -> secondary(7, 0).promote(secondary(9, 7), random));
        assertRefused("not in sync with the peer (INITIAL_SYNC", () -> GenerationState.fresh().promote(secondary(9, 0), random));
        assertRefused("incomplete resync target", () -> with(secondary(7, 0), Flag.INCONSISTENT).promote(secondary(7, 0), random));
        assertRefused("resolve --keep-local first", () -> with(secondary(7, 0), Flag.DISCARD_LOCAL).promote(secondary(7, 0), random));
    }

    @Test
    void promoteForceStartsANewGenerationAndRemembersTheAgreedOne() {
        GenerationState p = secondary(7, 0, 3).promoteForce(random);
        assertEquals(Role.PRIMARY, p.role());
        assertEquals(g(7), p.agreed());
        assertEquals(List.of(g(3)), p.history());
        assertFalse(p.current().isNone() || p.current().equals(g(7)) || p.current().equals(g(3)));
    }

    @Test
    void promoteForceKeepsAnEarlierAgreedGenerationItsDirtyMapStillCovers() {
        // promoted with --force before, wrote, was demoted, and is promoted with --force again
        GenerationState p = secondary(9, 7, 3).promoteForce(random);
        assertEquals(g(7), p.agreed());
        assertEquals(List.of(g(9), g(3)), p.history());
    }

    @Test
    void promoteForceOfAFreshUnitStartsTheFirstGeneration() {
        GenerationState p = GenerationState.fresh().promoteForce(random);
        assertTrue(p.isPrimary() && !p.current().isNone() && p.agreed().isNone());
    }

    @Test
    void promoteForceIsRefusedOnAPrimaryAnIncompleteTargetAndADiscardedUnit() {
        assertRefused("already primary", () -> primary(7, 0).promoteForce(random));
        assertRefused("mixes two generations", () -> with(secondary(7, 0), Flag.INCONSISTENT).promoteForce(random));
        assertRefused("resolve --keep-peer", () -> with(secondary(7, 0), Flag.DISCARD_LOCAL).promoteForce(random));
    }

    @Test
    void newGenerationsNeverRepeatKnownOnes() {
        // a generator that offers the known generations first
        long[] draws = {7, 3, 5, 11};
        java.util.random.RandomGenerator replay = new java.util.random.RandomGenerator() {
            int i;

            @Override
            public long nextLong() {
                return draws[i++];
            }
        };
        assertEquals(g(11), secondary(7, 5, 3).promoteForce(replay).current());
    }

    // ---- demote, link loss, host writes

    @Test
    void demoteKeepsTheGenerationAndDropsDetached() {
        assertEquals(secondary(9, 7, 3), primary(9, 7, 3).demote(false, random));
        assertEquals(secondary(9, 7, 3), primary(9, 7, 3).demote(true, random), "the dirty map already covers it");
        assertEquals(secondary(7, 0), with(primary(7, 0), Flag.DETACHED).demote(false, random));
        assertEquals(secondary(7, 0), with(primary(7, 0), Flag.FENCED).demote(false, random));
        assertRefused("already secondary", () -> secondary(7, 0).demote(false, random));
    }

    @Test
    void demoteWithUnacknowledgedWritesStartsAGeneration() {
        GenerationState s = primary(7, 0, 3).demote(true, random);
        assertEquals(Role.SECONDARY, s.role());
        assertEquals(g(7), s.agreed());
        assertNotEquals(g(7), s.current());
        // so the peer, still at 7, cannot be promoted as if it held the same data
        assertRefused("not in sync with the peer", () -> secondary(7, 0).promote(s, random));
    }

    @Test
    void linkLostWhileIdleOnlyArmsTheLazyGeneration() {
        GenerationState s = primary(7, 0).linkLost(false, random);
        assertEquals(with(primary(7, 0), Flag.DETACHED), s);
        GenerationState written = s.beforeHostWrite(random);
        assertEquals(g(7), written.agreed());
        assertNotEquals(g(7), written.current());
        assertFalse(written.has(Flag.DETACHED));
        assertSame(written, written.beforeHostWrite(random), "only the first write starts a generation");
    }

    @Test
    void linkLostWithUnacknowledgedWritesStartsAGenerationAtOnce() {
        GenerationState s = primary(7, 0, 3).linkLost(true, random);
        assertEquals(g(7), s.agreed());
        assertEquals(List.of(g(3)), s.history());
        assertFalse(s.has(Flag.DETACHED));
    }

    @Test
    void linkLostChangesNothingOnASecondaryOrAUnitAlreadyAhead() {
        GenerationState sec = secondary(7, 0);
        assertSame(sec, sec.linkLost(true, random));
        GenerationState ahead = primary(9, 7);
        assertSame(ahead, ahead.linkLost(true, random));
        assertSame(ahead, ahead.linkLost(false, random));
    }

    @Test
    void aSecondaryAcceptsNoHostWrites() {
        assertRefused("a secondary accepts no host writes", () -> secondary(7, 0).beforeHostWrite(random));
    }

    // ---- resync and agreement

    @Test
    void resyncTargetIsInconsistentUntilSyncedAndTakesTheSourcesGenerations() {
        GenerationState target = secondary(7, 0, 3).resyncStarted();
        assertTrue(target.has(Flag.INCONSISTENT));
        GenerationState source = primary(9, 7, 3, 2);
        GenerationState done = target.syncedFrom(source);
        assertEquals(secondary(9, 0, 7, 3, 2), done);
        assertEquals(primary(9, 0, 7, 3, 2), source.inSyncWithPeer());
        assertRefused("a primary's volume is in use", () -> primary(7, 0).resyncStarted());
        assertRefused("a primary is never a resync target", () -> primary(7, 0).syncedFrom(source));
        assertRefused("without consistent data", () -> target.syncedFrom(with(secondary(9, 0), Flag.INCONSISTENT)));
        assertRefused("without consistent data", () -> target.syncedFrom(GenerationState.fresh()));
    }

    @Test
    void aDiscardedVictimLosesItsGenerationsOnSync() {
        GenerationState victim = with(secondary(8, 7, 3), Flag.DISCARD_LOCAL).resyncStarted();
        GenerationState done = victim.syncedFrom(primary(9, 7, 3));
        assertEquals(secondary(9, 0, 7, 3), done, "generation 8 was overwritten and is no ancestor any more");
    }

    @Test
    void historyIsBoundedNewestFirst() {
        GenerationState s = primary(9, 8, 4, 3, 2, 1).inSyncWithPeer();
        assertEquals(List.of(g(8), g(4), g(3), g(2)), s.history());
    }

    @Test
    void inSyncClearsDetachedAndChoices() {
        assertEquals(primary(7, 0), with(primary(7, 0), Flag.DETACHED).inSyncWithPeer());
        assertEquals(primary(7, 0), with(primary(7, 0), Flag.KEEP_LOCAL).inSyncWithPeer());
        assertEquals(secondary(7, 0), with(secondary(7, 0), Flag.DISCARD_LOCAL).inSyncWithPeer());
        assertRefused("completing its resync", () -> with(secondary(7, 0), Flag.INCONSISTENT).inSyncWithPeer());
    }

    // ---- resolve

    @Test
    void resolveKeepPeerDemotesAndMarksTheDataForDiscard() {
        GenerationState s = with(primary(9, 7), Flag.KEEP_LOCAL).resolve(Resolution.KEEP_PEER, false, random);
        assertEquals(with(secondary(9, 7), Flag.DISCARD_LOCAL), s);
        assertEquals(with(secondary(7, 0), Flag.DISCARD_LOCAL), with(primary(7, 0), Flag.DETACHED).resolve(Resolution.KEEP_PEER, false, random));
    }

    @Test
    void resolveKeepPeerWithUnacknowledgedWritesStartsAGeneration() {
        // the writes only this unit has must show as changes, so the resync overwrites them too
        GenerationState s = primary(7, 0).resolve(Resolution.KEEP_PEER, true, random);
        assertTrue(s.has(Flag.DISCARD_LOCAL) && !s.isPrimary());
        assertEquals(g(7), s.agreed());
        assertEquals(HandshakeDecision.Kind.RESYNC_PEER_TO_LOCAL, HandshakeRules.decide(s, primary(7, 0)).kind());
    }

    @Test
    void resolveKeepLocalKeepsTheRole() {
        assertEquals(with(primary(9, 7), Flag.KEEP_LOCAL), primary(9, 7).resolve(Resolution.KEEP_LOCAL, false, random));
        assertEquals(with(secondary(9, 7), Flag.KEEP_LOCAL),
                with(secondary(9, 7), Flag.DISCARD_LOCAL).resolve(Resolution.KEEP_LOCAL, false, random));
        assertRefused("it has none", () -> GenerationState.fresh().resolve(Resolution.KEEP_LOCAL, false, random));
        assertRefused("incomplete resync target",
                () -> with(secondary(9, 7), Flag.INCONSISTENT).resolve(Resolution.KEEP_LOCAL, false, random));
    }

    @Test
    void earlierListsAgreedThenHistory() {
        assertEquals(List.of(g(7), g(3)), primary(9, 7, 3).earlier());
        assertEquals(List.of(g(3)), primary(9, 0, 3).earlier());
        assertEquals(Set.of(), GenerationState.fresh().flags());
    }
}
