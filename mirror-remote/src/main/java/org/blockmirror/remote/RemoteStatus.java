package org.blockmirror.remote;

import java.util.List;
import org.blockmirror.alert.Alert;
import org.blockmirror.frontend.FrontEndStatus;

/** What {@code blockmirror status} shows for a remote unit (serialised to JSON as is). */
public record RemoteStatus(
        String role,
        String version,
        String volumeId,
        String unitId,
        Link link,
        int connectionsUp,
        String attachedLocalUnit,
        long appliedSeq,
        long writesApplied,
        long blocksApplied,
        long reorderBufferedBytes,
        long applyFailures,
        Verification verification,
        FrontEndStatus frontEnd,
        List<Alert> alerts,
        Remirror remirror) {

    /**
     * The copy's consistency and the last (or running) remirror.
     *
     * @param syncState       NEVER_SYNCED, INCONSISTENT (a remirror wrote and has not finished) or CONSISTENT
     * @param active          a remirror is running on the current session
     * @param chunksAnnounced chunks the local unit said it would compare
     * @param refusedBecause  why the remirror was refused (the pre-hook failed), or null
     */
    public record Remirror(String syncState, boolean active, String kind, long chunksAnnounced, long rangesCompared,
                           long rangesDiffering, long blocksCompared, long blocksDiffering, long blocksWritten,
                           long bytesWritten, String refusedBecause) {
    }

    /**
     * Verified ack mode (zero otherwise).
     *
     * @param verified         writes the local unit confirmed with ACK_ACK
     * @param verifyMismatches writes it rejected with a NAK verdict (each dropped and resent)
     */
    public record Verification(long verified, long verifyMismatches) {
    }

    /** The heartbeat link to the peer. */
    public record Link(String state, long millisInState, Long lastHeardMillisAgo, Long probationRemainingMillis,
                       String peer, long heartbeatsSent, long heartbeatsReceived) {
    }
}
