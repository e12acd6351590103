package org.blockmirror.remote;

import java.util.List;
import org.blockmirror.alert.Alert;

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
        List<Alert> alerts) {

    /** The heartbeat link to the peer. */
    public record Link(String state, long millisInState, Long lastHeardMillisAgo, Long probationRemainingMillis,
                       String peer, long heartbeatsSent, long heartbeatsReceived) {
    }
}
