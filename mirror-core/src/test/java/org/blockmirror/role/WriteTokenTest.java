package org.blockmirror.role;

import static org.blockmirror.role.States.primary;
import static org.blockmirror.role.States.secondary;
import static org.blockmirror.role.States.with;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.blockmirror.role.GenerationState.Flag;
import org.junit.jupiter.api.Test;

/** The write token and the fence it follows ({@link GenerationState#observePeer}). */
class WriteTokenTest {

    private static void assertRefused(GenerationState s, String reasonPart) {
        WriteToken t = new WriteToken(s);
        assertFalse(t.mayAcceptWrites());
        assertTrue(t.refusalReason().contains(reasonPart), t.refusalReason());
    }

    private static void assertAllowed(GenerationState s) {
        WriteToken t = new WriteToken(s);
        assertTrue(t.mayAcceptWrites(), t.refusalReason());
        assertNull(t.refusalReason());
    }

    @Test
    void onlyAnUnfencedPrimaryHoldsTheToken() {
        assertAllowed(primary(7, 0));
        assertAllowed(with(primary(7, 0), Flag.DETACHED));
        assertRefused(secondary(7, 0), "secondary");
        assertRefused(GenerationState.fresh(), "does not hold the write token");
        assertRefused(with(primary(7, 0), Flag.FENCED), "write token revoked: the peer moved past this unit's"
                + " generation 0000000000000007");
    }

    @Test
    void theTokenFollowsUpdates() {
        WriteToken t = new WriteToken(secondary(7, 0));
        t.update(primary(7, 0));
        assertTrue(t.mayAcceptWrites());
        t.update(with(primary(7, 0), Flag.FENCED));
        assertFalse(t.mayAcceptWrites());
        t.update(secondary(7, 0));
        assertTrue(t.refusalReason().contains("secondary"), t.refusalReason());
    }

    @Test
    void aPeerAtTheSameOrAnOlderGenerationDoesNotFence() {
        GenerationState p = primary(9, 7, 3);
        assertSame(p, p.observePeer(secondary(9, 0)));
        assertSame(p, p.observePeer(secondary(7, 0))); // behind: it will be resynced from us
        assertSame(p, p.observePeer(secondary(3, 0)));
        assertSame(p, p.observePeer(GenerationState.fresh()));
        assertSame(p, p.observePeer(with(secondary(9, 0), Flag.KEEP_LOCAL))); // same data: nothing kept over us
        GenerationState s = secondary(7, 0);
        assertSame(s, s.observePeer(primary(9, 7)), "a secondary has no token to lose");
    }

    @Test
    void learningThatThePeerMovedPastOurGenerationFences() {
        assertRefused(primary(7, 0).observePeer(primary(9, 7)), "promoted while this unit was cut off");
        assertRefused(primary(7, 0).observePeer(secondary(9, 0, 7)), "write token revoked");
        assertRefused(primary(8, 7).observePeer(with(secondary(9, 7), Flag.KEEP_LOCAL)), "kept the peer's data");
    }

    @Test
    void aFencedPrimaryRefusesHostWrites() {
        GenerationState fenced = primary(7, 0).observePeer(primary(9, 7));
        RoleTransitionException e = assertThrows(RoleTransitionException.class,
                () -> fenced.beforeHostWrite(new SplittableRandom(1)));
        assertTrue(e.getMessage().contains("fenced"), e.getMessage());
    }

    @Test
    void theFenceSticksUntilDemotionAKeepLocalChoiceOrAgreement() {
        GenerationState fenced = primary(7, 0).observePeer(primary(9, 7));
        SplittableRandom r = new SplittableRandom(1);
        SplittableRandom random = r;
        assertRefused(fenced.linkLost(true, r), "revoked"); // a new generation does not lift it
        assertRefused(fenced.observePeer(secondary(7, 0)), "revoked"); // nor does an older peer state arriving late
        assertAllowed(fenced.demote(false, r).promoteForce(r));
        assertAllowed(fenced.resolve(Resolution.KEEP_LOCAL, false, random));
        assertAllowed(fenced.resolve(Resolution.KEEP_LOCAL, false, random).observePeer(primary(9, 7)));
        assertAllowed(fenced.inSyncWithPeer());
        assertAllowed(fenced.observePeer(with(secondary(9, 7), Flag.DISCARD_LOCAL)));
        assertRefused(fenced.resolve(Resolution.KEEP_PEER, false, random), "secondary");
    }

    @Test
    void aSplitBrainPeerWithoutAChoiceDoesNotFence() {
        // documented limit: neither side is newer; the handshake refuses to mirror and alerts
        GenerationState p = primary(8, 7);
        assertSame(p, p.observePeer(primary(9, 7)));
    }
}
