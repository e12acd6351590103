package org.blockmirror.role;

import static org.blockmirror.role.States.primary;
import static org.blockmirror.role.States.secondary;
import static org.blockmirror.role.States.with;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.blockmirror.role.GenerationState.Flag;
import org.junit.jupiter.api.Test;

class WriteTokenTest {

    private static void assertRefused(WriteToken t, String reasonPart) {
        assertFalse(t.mayAcceptWrites());
        assertTrue(t.refusalReason().contains(reasonPart), t.refusalReason());
    }

    private static void assertAllowed(WriteToken t) {
        assertTrue(t.mayAcceptWrites(), t.refusalReason());
        assertNull(t.refusalReason());
    }

    @Test
    void onlyAPrimaryHoldsTheToken() {
        assertAllowed(new WriteToken(primary(7, 0)));
        assertRefused(new WriteToken(secondary(7, 0)), "secondary");
        assertRefused(new WriteToken(GenerationState.fresh()), "does not hold the write token");
        WriteToken t = new WriteToken(secondary(7, 0));
        t.localStateChanged(primary(7, 0));
        assertAllowed(t);
        t.localStateChanged(secondary(7, 0));
        assertRefused(t, "secondary");
    }

    @Test
    void aPeerAtTheSameOrAnOlderGenerationChangesNothing() {
        WriteToken t = new WriteToken(primary(9, 7, 3));
        t.peerStateLearned(secondary(9, 0));
        t.peerStateLearned(secondary(7, 0)); // behind: it will be resynced from us
        t.peerStateLearned(secondary(3, 0));
        t.peerStateLearned(GenerationState.fresh());
        t.peerStateLearned(with(secondary(9, 0), Flag.KEEP_LOCAL)); // same data: nothing to keep over us
        assertAllowed(t);
    }

    @Test
    void learningThatThePeerMovedPastOurGenerationRevokesTheToken() {
        WriteToken t = new WriteToken(primary(7, 0));
        t.peerStateLearned(primary(9, 7)); // promoted with --force while we were cut off
        assertRefused(t, "the peer moved on from this unit's generation 0000000000000007");
        WriteToken u = new WriteToken(primary(7, 0));
        u.peerStateLearned(secondary(9, 0, 7)); // ... and it even agreed with someone since
        assertRefused(u, "promoted while this unit was cut off");
    }

    @Test
    void theRevocationSticksUntilDemotionOrAKeepLocalChoice() {
        WriteToken t = new WriteToken(primary(7, 0));
        t.peerStateLearned(primary(9, 7));
        t.localStateChanged(primary(7, 0).linkLost(true, new java.util.SplittableRandom(1))); // a new generation
        assertRefused(t, "write token revoked");
        t.peerStateLearned(secondary(7, 0)); // an older peer state arriving late does not lift it
        assertRefused(t, "write token revoked");

        t.localStateChanged(secondary(7, 0));
        t.localStateChanged(primary(7, 0));
        assertAllowed(t);

        WriteToken k = new WriteToken(primary(7, 0));
        k.peerStateLearned(primary(9, 7));
        k.localStateChanged(primary(7, 0).resolve(Resolution.KEEP_LOCAL));
        assertAllowed(k);
        k.peerStateLearned(primary(9, 7)); // the administrator's choice stands
        assertAllowed(k);
    }

    @Test
    void thePeerKeptOverUsRevokesTheToken() {
        WriteToken t = new WriteToken(primary(8, 7));
        t.peerStateLearned(with(secondary(9, 7), Flag.KEEP_LOCAL));
        assertRefused(t, "the administrator kept the peer's data");
    }

    @Test
    void aSplitBrainPeerWithoutAChoiceDoesNotRevoke() {
        // documented limit: neither side is newer; the handshake refuses to mirror and alerts
        WriteToken t = new WriteToken(primary(8, 7));
        t.peerStateLearned(primary(9, 7));
        assertAllowed(t);
    }
}
