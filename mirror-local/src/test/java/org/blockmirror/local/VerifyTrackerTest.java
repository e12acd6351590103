package org.blockmirror.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.blockmirror.protocol.Verdict;
import org.blockmirror.protocol.Verify;
import org.blockmirror.protocol.VerifyReply;
import org.junit.jupiter.api.Test;

/** The local unit's verdicts in verified ack mode: compare, reject, queue the resend, give up, forget. */
class VerifyTrackerTest {

    @Test
    void aMatchingCrcIsConfirmedAndAMismatchRejectedAndQueuedForResend() {
        VerifyTracker t = new VerifyTracker();
        t.sent(1, 0x1111);
        t.sent(2, 0x2222);

        VerifyTracker.Judgement ok = t.judge(new Verify(1, 0x1111));
        assertEquals(new VerifyReply(1, Verdict.ACK_ACK, 0x1111, 0x1111), ok.reply());
        assertFalse(ok.resend());

        VerifyTracker.Judgement bad = t.judge(new Verify(2, 0x2223));
        assertEquals(new VerifyReply(2, Verdict.NAK, 0x2223, 0x2222), bad.reply());
        assertTrue(bad.resend());
        assertFalse(bad.giveUp());
        assertTrue(t.hasResends());
        assertEquals(2, t.nextResend());
        assertEquals(0, t.nextResend());
        assertEquals(1, t.verified());
        assertEquals(1, t.mismatches());
        assertEquals(1, t.resent());

        // the resend arrives intact
        assertEquals(Verdict.ACK_ACK, t.judge(new Verify(2, 0x2222)).reply().verdict());
    }

    @Test
    void aVerifyForASeqNotInFlightHasNoVerdict() {
        VerifyTracker t = new VerifyTracker();
        assertNull(t.judge(new Verify(5, 0)), "never sent");
        t.sent(5, 7);
        t.sent(6, 8);
        t.acked(5);
        assertNull(t.judge(new Verify(5, 7)), "already acknowledged");
        assertEquals(Verdict.ACK_ACK, t.judge(new Verify(6, 8)).reply().verdict());
        t.reset();
        assertNull(t.judge(new Verify(6, 8)), "the session ended");
    }

    @Test
    void aSeqRejectedTooOftenInOneSessionIsGivenUpOn() {
        VerifyTracker t = new VerifyTracker();
        t.sent(3, 0xAB);
        for (int i = 1; i <= VerifyTracker.MAX_REJECTIONS; i++) {
            VerifyTracker.Judgement j = t.judge(new Verify(3, 0xAC));
            assertTrue(j.resend(), "rejection " + i);
            assertEquals(3, t.nextResend());
        }
        VerifyTracker.Judgement last = t.judge(new Verify(3, 0xAC));
        assertEquals(Verdict.NAK, last.reply().verdict());
        assertFalse(last.resend());
        assertTrue(last.giveUp());
        assertFalse(t.hasResends());

        // a new session counts afresh
        t.reset();
        t.sent(3, 0xAB);
        assertTrue(t.judge(new Verify(3, 0xAC)).resend());
    }
}
