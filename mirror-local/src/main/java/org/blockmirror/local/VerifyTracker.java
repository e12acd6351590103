package org.blockmirror.local;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import org.blockmirror.protocol.Verdict;
import org.blockmirror.protocol.Verify;
import org.blockmirror.protocol.VerifyReply;

/**
 * Verified ack mode (SPEC F5), local side of one session: the data CRC32C of every record sent
 * and not yet acknowledged, the verdict on each VERIFY the remote sends, and the records whose
 * copy the remote dropped after a NAK verdict, waiting to be resent.
 *
 * <p>The CRC32C compared is the one the journal recorded when the host wrote the data; the
 * remote's is computed over the bytes it holds and will write. A NAK verdict makes the remote
 * drop its copy and expect the seq again, so the record is queued for a resend within the
 * session. A seq rejected more than {@link #MAX_REJECTIONS} times in one session is given up on:
 * the replicator ends the session instead (something keeps damaging it; the next session starts
 * over from the remote's applied seq and the alerts tell the operator).
 *
 * <p>Thread-safe: records are entered by the replicator thread, acknowledgements and VERIFYs
 * arrive on the event loops.
 */
final class VerifyTracker {

    /** Rejections of one seq in one session before the session is ended instead of resending. */
    static final int MAX_REJECTIONS = 3;

    /** What to do about one VERIFY. */
    record Judgement(VerifyReply reply, boolean resend, boolean giveUp) {
    }

    private final TreeMap<Long, Integer> sentCrcs = new TreeMap<>();
    private final Map<Long, Integer> rejections = new HashMap<>();
    private final ArrayDeque<Long> resends = new ArrayDeque<>();
    private long verified;
    private long mismatches;
    private long resent;

    /** Record {@code seq} with data CRC32C {@code crc32c} is about to be sent. */
    synchronized void sent(long seq, int crc32c) {
        sentCrcs.put(seq, crc32c);
    }

    /** The remote acknowledged everything up to {@code seq}: nothing there needs a verdict any more. */
    synchronized void acked(long seq) {
        if (!sentCrcs.isEmpty() && sentCrcs.firstKey() <= seq) {
            sentCrcs.headMap(seq, true).clear();
        }
        if (!rejections.isEmpty()) {
            rejections.keySet().removeIf(s -> s <= seq);
        }
    }

    /**
     * The verdict on {@code verify}: ACK_ACK when the remote's CRC32C equals the one sent, else
     * NAK, and the record is queued for a resend (unless given up on).
     *
     * @return null if {@code verify.seq()} is not in flight (the remote is confused: end the session)
     */
    synchronized Judgement judge(Verify verify) {
        Integer expected = sentCrcs.get(verify.seq());
        if (expected == null) {
            return null;
        }
        VerifyReply reply = VerifyReply.judge(verify.seq(), verify.dataCrc32c(), expected);
        if (reply.verdict() == Verdict.ACK_ACK) {
            verified++;
            return new Judgement(reply, false, false);
        }
        mismatches++;
        int times = rejections.merge(verify.seq(), 1, Integer::sum);
        if (times > MAX_REJECTIONS) {
            return new Judgement(reply, false, true);
        }
        resends.add(verify.seq());
        return new Judgement(reply, true, false);
    }

    synchronized boolean hasResends() {
        return !resends.isEmpty();
    }

    /** The next seq to resend (counted as resent), or 0 if none. */
    synchronized long nextResend() {
        Long seq = resends.poll();
        if (seq == null) {
            return 0;
        }
        resent++;
        return seq;
    }

    /** Forgets the session: records, rejections and pending resends (the next session resends anyway). */
    synchronized void reset() {
        sentCrcs.clear();
        rejections.clear();
        resends.clear();
    }

    synchronized long verified() {
        return verified;
    }

    synchronized long mismatches() {
        return mismatches;
    }

    synchronized long resent() {
        return resent;
    }
}
