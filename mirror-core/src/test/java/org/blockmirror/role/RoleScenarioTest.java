package org.blockmirror.role;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Set;
import org.blockmirror.role.GenerationState.Flag;
import org.blockmirror.role.HandshakeDecision.Direction;
import org.blockmirror.role.HandshakeDecision.Kind;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Sequences of transitions on two simulated units with real state files (see {@link SimulatedPair}). */
class RoleScenarioTest {

    @TempDir
    Path dir;

    private SimulatedPair pair;
    private SimulatedPair.Unit a;
    private SimulatedPair.Unit b;

    /** A new pair, A made primary and B initially synced from it, then a few writes mirrored. */
    @BeforeEach
    void establishedPair() throws Exception {
        pair = new SimulatedPair(dir, 42);
        a = pair.a;
        b = pair.b;
        assertEquals(Kind.NO_USABLE_SOURCE, pair.connect().kind());
        a.promote();
        HandshakeDecision initial = pair.connect();
        assertEquals(Kind.INITIAL_SYNC, initial.kind());
        assertEquals(Direction.LOCAL_TO_PEER, initial.direction());
        assertEquals(a.state().current(), b.state().current());
        write(a, 0, 1, 2);
        pair.deliver();
        assertArrayEquals(a.blocks, b.blocks);
    }

    private static void write(SimulatedPair.Unit u, int... blocks) throws Exception {
        for (int block : blocks) {
            assertTrue(u.write(block), u + " refused a write: " + u.token.refusalReason());
        }
    }

    @Test
    void roleReversalKeepsTheGenerationAndMirrorsTheOtherWay() throws Exception {
        GenerationId before = a.state().current();
        assertFalse(b.token.mayAcceptWrites());
        // reverse: the journal is drained (delivered), A stops taking writes, B takes over
        a.demote();
        assertFalse(a.token.mayAcceptWrites());
        b.promote();
        assertTrue(b.token.mayAcceptWrites());
        assertEquals(Kind.IN_SYNC_STREAM, pair.connect().kind());
        assertEquals(before, b.state().current());
        write(b, 3, 4);
        pair.deliver();
        assertArrayEquals(a.blocks, b.blocks);
        assertFalse(a.write(5), "the old primary is standby now");
    }

    @Test
    void promotingThePeerWhileThePrimaryIsUpIsRefused() throws Exception {
        RoleTransitionException e = assertThrows(RoleTransitionException.class, b::promote);
        assertTrue(e.getMessage().contains("the peer is primary"), e.getMessage());
    }

    @Test
    void anIdleDisconnectIsNotASplitBrain() throws Exception {
        GenerationId before = a.state().current();
        pair.cut();
        assertTrue(a.state().has(Flag.DETACHED));
        assertEquals(Kind.IN_SYNC_STREAM, pair.connect().kind());
        assertEquals(before, a.state().current());
        assertFalse(a.state().has(Flag.DETACHED));
        write(a, 7);
        pair.deliver();
        assertArrayEquals(a.blocks, b.blocks);
    }

    @Test
    void writesDuringADisconnectAreResyncedFromTheDirtyMap() throws Exception {
        GenerationId before = a.state().current();
        pair.cut();
        write(a, 5, 6, 5);
        assertEquals(before, a.state().agreed(), "the first write started a generation");
        HandshakeDecision d = pair.connect();
        assertEquals(Kind.RESYNC_LOCAL_TO_PEER, d.kind());
        assertEquals(before, d.since());
        assertEquals(Set.of(), a.dirty, "the dirty map is dropped once the units agree");
        assertTrue(a.state().agreed().isNone());
        assertEquals(Kind.IN_SYNC_STREAM, pair.connect().kind());
    }

    @Test
    void unacknowledgedWritesAtTheCutAreCoveredByTheResync() throws Exception {
        write(a, 9, 10); // not delivered: still in A's journal when the link drops
        pair.cut();
        assertFalse(a.state().agreed().isNone(), "a new generation starts at once");
        assertEquals(Set.of(9, 10), a.dirty);
        HandshakeDecision d = pair.connect();
        assertEquals(Kind.RESYNC_LOCAL_TO_PEER, d.kind());
        assertArrayEquals(a.blocks, b.blocks);
    }

    @Test
    void promoteForceWithTheOldPrimaryCutOffThenReturning_isASplitBrain() throws Exception {
        pair.cut();
        b.promoteForce();
        write(b, 3, 4);
        write(a, 4, 8); // the old primary kept serving its host
        assertNotEquals(a.state().current(), b.state().current());
        long[] aBefore = a.blocks.clone();
        long[] bBefore = b.blocks.clone();

        HandshakeDecision d = pair.connect();
        assertEquals(Kind.SPLIT_BRAIN, d.kind());
        assertTrue(d.explanation().contains("role resolve"), d.explanation());
        // nothing is copied, nothing is discarded, both hosts keep their data
        assertArrayEquals(aBefore, a.blocks);
        assertArrayEquals(bBefore, b.blocks);
        assertEquals(Kind.SPLIT_BRAIN, pair.connect().kind(), "it stays a split brain until resolved");

        // the administrator keeps B's data; A's changes (4, 8) and B's (3, 4) come from B
        a.resolve(Resolution.KEEP_PEER);
        assertFalse(a.state().isPrimary());
        HandshakeDecision resolved = pair.connect();
        assertEquals(Kind.RESYNC_PEER_TO_LOCAL, resolved.kind());
        assertArrayEquals(bBefore, a.blocks);
        assertEquals(Kind.IN_SYNC_STREAM, pair.connect().kind());
        assertTrue(b.token.mayAcceptWrites());
    }

    @Test
    void unacknowledgedWritesOfTheOldPrimaryMakeAForcedPromotionASplitBrain() throws Exception {
        write(a, 11); // never reached B
        pair.cut();
        b.promoteForce();
        // even without further writes on either side: block 11 exists only on A
        assertEquals(Kind.SPLIT_BRAIN, pair.connect().kind());
    }

    @Test
    void nonAuthoritativeUse_idlePrimaryKeptAuthoritative_copiesExactlyTheSecondarysChanges() throws Exception {
        pair.cut();
        b.promoteForce(); // disaster recovery while A is unreachable
        write(b, 3, 12, 3);
        // A returns without having written; both are primary
        HandshakeDecision d = pair.connect();
        assertEquals(Kind.BOTH_PRIMARY, d.kind());
        assertFalse(a.token.mayAcceptWrites(), "A learned that B moved past its generation");
        assertTrue(a.token.refusalReason().contains("promoted while this unit was cut off"), a.token.refusalReason());

        // the administrator keeps A authoritative: B's changes are not
        b.resolve(Resolution.KEEP_PEER);
        HandshakeDecision resync = pair.connect();
        assertEquals(Kind.RESYNC_LOCAL_TO_PEER, resync.kind());
        assertEquals(Set.of(3, 12), pair.lastCopied);
        assertArrayEquals(a.blocks, b.blocks);
        assertFalse(b.token.mayAcceptWrites());
        assertTrue(a.token.mayAcceptWrites(), "the administrator's choice lifted A's fence");
        write(a, 1);
        pair.deliver();
        assertArrayEquals(a.blocks, b.blocks);
    }

    @Test
    void nonAuthoritativeUse_idlePrimaryDemoted_takesTheSecondarysChanges() throws Exception {
        pair.cut();
        b.promoteForce();
        write(b, 3, 12);
        assertEquals(Kind.BOTH_PRIMARY, pair.connect().kind());
        a.demote(); // the administrator keeps the disaster-recovery site's data instead
        HandshakeDecision d = pair.connect();
        assertEquals(Kind.RESYNC_PEER_TO_LOCAL, d.kind());
        assertEquals(Set.of(3, 12), pair.lastCopied);
        assertArrayEquals(a.blocks, b.blocks);
    }

    @Test
    void aSecondaryThatWasPromotedAndDemotedCannotOverwriteThePrimaryUnasked() throws Exception {
        pair.cut();
        b.promoteForce();
        write(b, 5);
        b.demote();
        HandshakeDecision d = pair.connect();
        assertEquals(Kind.STALE_PRIMARY, d.kind(), "A would be overwritten while its host uses it");
        assertFalse(a.token.mayAcceptWrites());
        a.resolve(Resolution.KEEP_LOCAL); // the administrator keeps A
        assertTrue(a.token.mayAcceptWrites());
        assertEquals(Kind.RESYNC_LOCAL_TO_PEER, pair.connect().kind());
        assertEquals(Set.of(5), pair.lastCopied);
        assertArrayEquals(a.blocks, b.blocks);
    }

    @Test
    void anInterruptedResyncIsRedoneAndItsTargetCannotBePromoted() throws Exception {
        pair.cut();
        write(a, 1, 2, 3, 4);
        pair.interruptNextResyncAfter(2);
        assertEquals(Kind.RESYNC_LOCAL_TO_PEER, pair.connect().kind());
        assertFalse(pair.linked());
        assertTrue(b.state().has(Flag.INCONSISTENT));
        b.restart();
        assertTrue(b.state().has(Flag.INCONSISTENT), "persisted");
        RoleTransitionException e = assertThrows(RoleTransitionException.class, b::promoteForce);
        assertTrue(e.getMessage().contains("incomplete resync target"), e.getMessage());
        write(a, 6); // A keeps writing meanwhile; its dirty map keeps growing
        HandshakeDecision again = pair.connect();
        assertEquals(Kind.RESYNC_LOCAL_TO_PEER, again.kind());
        assertEquals(Set.of(1, 2, 3, 4, 6), pair.lastCopied);
        assertFalse(b.state().has(Flag.INCONSISTENT));
        assertArrayEquals(a.blocks, b.blocks);
    }

    @Test
    void aUnitThatLostItsDataStartsOverWithAnInitialSync() throws Exception {
        pair.cut();
        write(a, 2);
        // B's disk is replaced: a fresh state (the administrator re-initialised it)
        b.file.close();
        java.nio.file.Files.delete(b.stateFile);
        RoleStateFile.create(b.stateFile, SimulatedPair.VOLUME, GenerationState.fresh()).close();
        java.util.Arrays.fill(b.blocks, 0);
        b.unshared.clear();
        HandshakeDecision d = pair.connect();
        assertEquals(Kind.INITIAL_SYNC, d.kind());
        assertArrayEquals(a.blocks, b.blocks);
        assertEquals(Kind.IN_SYNC_STREAM, pair.connect().kind());
    }

    @Test
    void nonAuthoritativeUse_thePrimaryKeptAuthoritative_copiesExactlyTheChangedBlocks() throws Exception {
        pair.cut();
        b.promoteForce(); // disaster recovery while A is unreachable
        write(b, 3, 12);
        write(a, 13); // and A's host wrote too
        // A returns; the administrator keeps A authoritative and runs the command on B
        b.resolve(Resolution.KEEP_PEER);
        HandshakeDecision d = pair.connect();
        assertEquals(Kind.RESYNC_LOCAL_TO_PEER, d.kind());
        assertEquals(Set.of(3, 12, 13), pair.lastCopied, "both sides' changed blocks, nothing else");
        assertArrayEquals(a.blocks, b.blocks, "B's blocks 3 and 12 and A's block 13 now hold A's data");
        assertTrue(a.token.mayAcceptWrites());
        assertFalse(b.token.mayAcceptWrites());
        assertEquals(Kind.IN_SYNC_STREAM, pair.connect().kind());
    }
}
