package org.blockmirror.local;

import java.io.IOException;
import java.util.OptionalLong;
import org.blockmirror.dirtymap.DirtyMap;
import org.blockmirror.journal.Journal;
import org.blockmirror.protocol.RemirrorKind;
import org.blockmirror.protocol.RemoteSyncState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides at the start of a replication session whether the remote needs a remirror before the
 * journal stream, and runs it (SPEC F8). The replicator calls it between the handshake and
 * streaming; the work is the {@link RemirrorSource}'s.
 *
 * <p>A remirror is needed when the remote was never synced (a new pair: every chunk is
 * compared), when the dirty map has marks (bitmap mode, a flushed portion of the queue), when
 * the remote is inconsistent (a remirror did not finish) or when it is behind the journal's tail
 * (records it lacks were collapsed into the map — or lost, e.g. a reformatted journal, which
 * makes every chunk suspect), and when the unit's role exchange made the remote a resync target
 * (every chunk is compared).
 */
final class RemirrorPhase {

    private static final Logger log = LoggerFactory.getLogger(RemirrorPhase.class);
    private static final long MAX_REFUSAL_BACKOFF_MS = 60_000;

    private final Journal journal;
    private final WritePipeline pipeline;
    private final RemirrorSource source;
    /** Remirrors refused in a row (e.g. the remote's pre-hook fails): wait longer each time. */
    private int refusedInARow;

    RemirrorPhase(Journal journal, WritePipeline pipeline, RemirrorSource source) {
        this.journal = journal;
        this.pipeline = pipeline;
        this.source = source;
    }

    /** The link schedule as the replicator applies it. */
    interface Pacer {
        void pace(long dataBytes, Runnable beforeWaiting) throws InterruptedException;
    }

    RemirrorSource source() {
        return source;
    }

    /**
     * Runs a remirror on connection 0 of {@code s} if the remote needs one.
     *
     * @param held     true while the operator has stopped sending: the remirror waits (session open)
     * @param starting called when a remirror starts (the replicator shows phase REMIRRORING)
     * @param pacer    the replicator's send schedule (blackouts, rate limit)
     * @return the remote's applied seq after the remirror (the stream continues after it), or
     *     empty if no remirror was needed
     * @throws IOException if the remirror failed; its chunks are marked dirty again
     */
    OptionalLong runIfNeeded(ReplicationSession s, java.util.function.BooleanSupplier held, Runnable starting,
                             Pacer pacer) throws IOException, InterruptedException {
        if (!pipeline.hasDirtyMap()) {
            return OptionalLong.empty();
        }
        DirtyMap map = pipeline.dirtyMap();
        long applied = s.remoteAppliedAtStart;
        RemoteSyncState state = s.remoteSyncState;
        boolean behind = applied + 1 < journal.tailSeq();
        boolean wholeVolume = s.compareWholeVolume;
        s.compareWholeVolume = false;
        if (state == RemoteSyncState.CONSISTENT && map.isEmpty() && !behind && !wholeVolume) {
            return OptionalLong.empty();
        }
        RemirrorKind kind = RemirrorKind.RESYNC;
        // Every chunk marked, host writes still journaled (no bitmap mode): the stream replays the
        // journal from its tail after the remirror, on top of chunk data at least as new.
        if (state == RemoteSyncState.NEVER_SYNCED) {
            log.info("the remote was never synced: initial sync, comparing every chunk by checksum");
            map.markAll();
            kind = RemirrorKind.INITIAL_SYNC;
        } else if (wholeVolume) {
            // A role decision (docs/roles.md §5.8): the peer's own changes and this unit's since they
            // diverged are exactly the blocks that differ; checksums find them without a dirty map of
            // either generation. Host writes stay journaled, as for an initial sync.
            log.info("the peer is a resync target: comparing every chunk by checksum, copying the blocks that differ");
            map.markAll();
        } else if (behind && map.isEmpty()) {
            log.warn("the remote has applied only up to seq {} but the journal starts at seq {} and the dirty map is"
                    + " empty: the records between are lost (was the journal replaced?); comparing every chunk",
                    applied, journal.tailSeq());
            map.markAll();
        }
        waitOutRefusals(s);
        while (held.getAsBoolean() && s.isOpen()) {
            Thread.sleep(100); // stop-send holds the remirror too
        }
        starting.run();
        RemirrorLink link = new RemirrorLink(s.channels.get(0), s::isOpen);
        s.remirrorLink = link;
        pipeline.remirrorRunning(true);
        try {
            RemirrorSource.Result r = source.run(link, kind, new RemirrorSource.Session() {
                @Override
                public void pace(long dataBytes, Runnable beforeWaiting) throws InterruptedException {
                    pacer.pace(dataBytes, beforeWaiting);
                }

                @Override
                public boolean prepareResume() throws IOException {
                    // Records older than the bitmap-mode marks that the remote lacks would, replayed
                    // after the remirror, overwrite newer blocks: send them as chunks instead.
                    long since = pipeline.bitmapSinceSeq();
                    if (since > 0 && journal.tailSeq() < since && applied + 1 < since) {
                        pipeline.moveToMap(since - 1);
                        return !pipeline.dirtyMap().isEmpty();
                    }
                    return false;
                }

                @Override
                public long streamFrom(long resumedAt) {
                    // the journal records the remote lacks (older ones went into the map and were sent)
                    return Math.min(resumedAt, Math.max(applied + 1, journal.tailSeq()));
                }
            });
            refusedInARow = 0;
            s.remoteSyncState = r.remoteState();
            return OptionalLong.of(r.resumeSeq() - 1);
        } catch (IOException e) {
            if (e.getMessage() != null && e.getMessage().contains("HOOK_FAILED")) {
                refusedInARow++;
            }
            throw e;
        } finally {
            pipeline.remirrorRunning(false);
            s.remirrorLink = null;
        }
    }

    private void waitOutRefusals(ReplicationSession s) throws InterruptedException {
        if (refusedInARow == 0) {
            return;
        }
        long waitMs = Math.min(MAX_REFUSAL_BACKOFF_MS, 1000L << Math.min(refusedInARow, 6));
        log.info("the remote refused the last {} remirror(s); waiting {} ms before asking again", refusedInARow, waitMs);
        long deadline = System.nanoTime() + waitMs * 1_000_000;
        while (s.isOpen() && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
    }
}
