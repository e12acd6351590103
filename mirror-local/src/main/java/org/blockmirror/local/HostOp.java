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
    /** Set by the volume stage once the write is durable locally (for sync-mode timeouts). */
    long locallyDurableNanos;

    HostOp(boolean trim, long lba, int blockCount, ByteBuffer data, long arrivalNanos) {
        this.trim = trim;
        this.lba = lba;
        this.blockCount = blockCount;
        this.data = data;
        this.arrivalNanos = arrivalNanos;
    }

    int dataBytes() {
        return data == null ? 0 : data.remaining();
    }
}
