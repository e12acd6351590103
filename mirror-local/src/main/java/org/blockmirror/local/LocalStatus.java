package org.blockmirror.local;

import java.util.List;
import org.blockmirror.alert.Alert;
import org.blockmirror.frontend.FrontEndStatus;

/**
 * What {@code blockmirror status} shows for a local unit (serialised to JSON as is).
 *
 * @param buffer     buffer mode, dirty map and queue control
 * @param frontEnd   the disk shown to the host, or null when {@code frontend = none}
 * @param lagRecords journal records the remote has not acknowledged yet
 * @param lagBytes   journal bytes they occupy
 * @param localVolume fail-over: "ok", or "degraded" (serving through the peer) and the replacement's resync
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
        Buffer buffer,
        Blocks blocks,
        Verification verification,
        FrontEndStatus frontEnd,
        long lagRecords,
        long lagBytes,
        List<Alert> alerts,
        VolumeFailover.Status localVolume) {

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
     * @param compactRecords   COMPACT records (block numbers only) journalled since start
     * @param preservedBlocks  blocks copied aside before an overwrite (copy-on-overwrite) since start
     */
    public record Journal(String path, long capacityBytes, long usedBytes, long freeBytes, double usedPercent,
                          long records, long tailSeq, long headSeq, long durableSeq, boolean full, long epoch,
                          long unreleasedBytes, int highWaterPercent, long compactRecords, long preservedBlocks) {
    }

    /**
     * Verified ack mode (zeros otherwise).
     *
     * @param verified         VERIFYs this unit confirmed with ACK_ACK
     * @param verifyMismatches VERIFYs it rejected (the remote's CRC32C differed from the journal's)
     * @param resends          records sent again after a rejection
     */
    public record Verification(long verified, long verifyMismatches, long resends) {
    }

    /**
     * Where host writes go (SPEC F8) and the operator's queue control.
     *
     * @param mode               normal, compact, bitmap or remirror
     * @param reason             why the unit is in bitmap mode ("" otherwise)
     * @param journalFillPercent unacknowledged records, % of the journal (what the high-water mark measures)
     * @param highWaterPercent   journal.high-water-percent
     * @param dirtyChunks        chunks of the dirty map that remirror must send
     * @param dirtyBlocks        blocks those chunks cover
     * @param bitmapSinceSeq     bitmap mode: records before this seq precede the map's marks (0 otherwise)
     * @param remirror           progress of a running remirror, or null
     */
    public record Buffer(String mode, String reason, double journalFillPercent, int highWaterPercent,
                         boolean enqueueingStopped, boolean sendingStopped, String dirtyMapPath, int chunkBytes,
                         long dirtyChunks, long dirtyBlocks, long bitmapSinceSeq, Remirror remirror) {
    }

    /**
     * Progress of a remirror: chunks compared and sent so far out of those dirty when it started.
     *
     * @param active          running now (else: the last one)
     * @param kind            INITIAL_SYNC or RESYNC
     * @param chunksDiffering chunks whose checksums differed on the remote
     * @param dataBytesSent   bytes of block data sent (only blocks that differ)
     * @param checksumBytes   bytes of checksum frames sent and received
     * @param passes          passes over the map (host writes during a pass cause another)
     */
    public record Remirror(long chunksTotal, long chunksDone, double percentDone, boolean active, String kind,
                           long chunksDiffering, long blocksSent, long dataBytesSent, long checksumBytes, long passes) {
    }

    /** Host blocks written locally, sent to and acknowledged by the remote. */
    public record Blocks(long written, long sent, long acked, long writesFailed) {
    }
}
