package org.blockmirror.local;

import java.util.List;
import org.blockmirror.alert.Alert;
import org.blockmirror.frontend.FrontEndStatus;

/**
 * What {@code blockmirror status} shows for a local unit (serialised to JSON as is).
 *
 * @param frontEnd   the disk shown to the host, or null when {@code frontend = none}
 * @param lagRecords journal records the remote has not acknowledged yet
 * @param lagBytes   journal bytes they occupy
 */
public record LocalStatus(
        String role,
        String version,
        String volumeId,
        String unitId,
        String ackMode,
        Link link,
        Replication replication,
        Journal journal,
        Blocks blocks,
        FrontEndStatus frontEnd,
        long lagRecords,
        long lagBytes,
        List<Alert> alerts) {

    /** The heartbeat link to the peer. */
    public record Link(String state, long millisInState, Long lastHeardMillisAgo, Long probationRemainingMillis,
                       String peer, long heartbeatsSent, long heartbeatsReceived) {
    }

    /**
     * The n-connection session to the remote.
     *
     * @param schedule                "open", or "blackout" while a send-blackout window holds sending back
     * @param sendingResumesAt        end of the current blackout (ISO-8601 with offset), or null
     * @param rateLimitBytesPerSecond transport.rate-limit (0: unlimited)
     * @param sendBlackout            the configured blackout windows ("none" if none)
     */
    public record Replication(String phase, int connectionsUp, int connectionsConfigured, long sentSeq, long ackedSeq,
                              long sessionsOpened, long naks, String lastError, String schedule,
                              String sendingResumesAt, long rateLimitBytesPerSecond, String sendBlackout) {
    }

    /**
     * The on-disk circular queue.
     *
     * @param usedBytes        space not reusable yet (released records count until the next tail checkpoint)
     * @param unreleasedBytes  records the remote has not acknowledged yet; compared with the high-water mark
     * @param highWaterPercent journal.high-water-percent (also where compact mode starts)
     * @param mode             how writes are journalled ({@link org.blockmirror.local.BufferMode}, lower case)
     * @param compactRecords   COMPACT records (block numbers only) journalled since start
     * @param preservedBlocks  blocks copied aside before an overwrite (copy-on-overwrite) since start
     */
    public record Journal(String path, long capacityBytes, long usedBytes, long freeBytes, double usedPercent,
                          long records, long tailSeq, long headSeq, long durableSeq, boolean full, long epoch,
                          long unreleasedBytes, int highWaterPercent, String mode, long compactRecords,
                          long preservedBlocks) {
    }

    /** Host blocks written locally, sent to and acknowledged by the remote. */
    public record Blocks(long written, long sent, long acked, long writesFailed) {
    }
}
