package org.blockmirror.heartbeat;

import java.util.Map;

/**
 * Counters of a {@link HeartbeatService}, for status output.
 *
 * @param sent             heartbeats handed to the network successfully
 * @param sendFailures     heartbeats the local socket could not send
 * @param received         valid heartbeats from the peer
 * @param rejected         datagrams rejected, all reasons
 * @param rejectedByReason datagrams rejected, per reason (every reason present)
 * @param missed           peer heartbeats never received, from gaps in the peer's counter
 */
public record HeartbeatStats(long sent, long sendFailures, long received, long rejected,
                             Map<RejectReason, Long> rejectedByReason, long missed) {

    public HeartbeatStats {
        rejectedByReason = Map.copyOf(rejectedByReason);
    }

    public long rejected(RejectReason reason) {
        return rejectedByReason.getOrDefault(reason, 0L);
    }
}
