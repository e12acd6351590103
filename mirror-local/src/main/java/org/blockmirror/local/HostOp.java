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
    /** Assigned by the journal stage; 0 until then or if the append failed. */
    long seq;
    /**
     * The volume must be flushed before this op is acknowledged: set for ops whose data the
     * journal does not hold (so a crash could not redo them). Journalled WRITE and TRIM records
     * leave it false: the volume is flushed lazily and the journal keeps them until it is.
     */
    boolean needsVolumeFlush;
    /** Set by the write stage once the write is durable locally (for sync-mode timeouts). */
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
