package org.blockmirror.local;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;

/** One host write or trim travelling through the {@link WritePipeline}. */
final class HostOp {
    final boolean trim;
    final long lba;
    final int blockCount;
    /** The host's buffer (WRITE only); valid until {@link #done} completes. */
    final ByteBuffer data;
    final long arrivalNanos;
    final CompletableFuture<Void> done = new CompletableFuture<>();
    /**
     * Journalled as a COMPACT record (block numbers only): its data exists only on the local
     * volume, so the host may be answered only after the volume write is flushed. The volume
     * stage flushes every batch before answering; a lazier flush must still honour this.
     */
    boolean compact;
    /** Assigned by the journal stage; 0 until then or if the append failed. */
    long seq;
    /** Set by the write stage once the write is durable locally (for sync-mode timeouts). */
    long locallyDurableNanos;
    /** Not host I/O: a step run on the journal stage in queue order (see {@link WritePipeline}). */
    final Runnable onJournalStage;
    /** Not host I/O: completes once the volume stage has written every op queued before it. */
    final boolean barrier;
    /** Bitmap mode: the op marked its chunks in the dirty map instead of going to the journal (seq 0). */
    boolean inMap;
    /** Degraded (fail-over): the local volume was skipped; completes on the remote's ack or fails at the timeout. */
    boolean throughPeer;

    HostOp(boolean trim, long lba, int blockCount, ByteBuffer data, long arrivalNanos) {
        this.trim = trim;
        this.lba = lba;
        this.blockCount = blockCount;
        this.data = data;
        this.arrivalNanos = arrivalNanos;
        this.onJournalStage = null;
        this.barrier = false;
    }

    private HostOp(Runnable onJournalStage, boolean barrier, long arrivalNanos) {
        this.trim = false;
        this.lba = 0;
        this.blockCount = 0;
        this.data = null;
        this.arrivalNanos = arrivalNanos;
        this.onJournalStage = onJournalStage;
        this.barrier = barrier;
    }

    /** A step the journal stage runs between the host ops queued before and after it. */
    static HostOp journalStageStep(Runnable step, long now) {
        return new HostOp(step, false, now);
    }

    /** Completes when every op queued before it is written to the volume. */
    static HostOp volumeBarrier(long now) {
        return new HostOp(null, true, now);
    }

    boolean isHostIo() {
        return onJournalStage == null && !barrier;
    }

    int dataBytes() {
        return data == null ? 0 : data.remaining();
    }

    /**
     * The volume must be flushed before this op is acknowledged: its data is not in the journal
     * (a COMPACT record, a bitmap-mode write), so a crash could not redo it. Journalled WRITE and
     * TRIM records are flushed lazily; the journal keeps them until the volume has them.
     */
    boolean needsVolumeFlush() {
        return compact || inMap;
    }
}
