package org.blockmirror.local;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import org.blockmirror.block.BlockDeviceException;
import org.blockmirror.block.BlockDeviceException.Reason;
import org.blockmirror.journal.Journal;
import org.blockmirror.volume.Volume;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fail-over through the peer (SPEC F12, seed 000; docs/architecture.md "Fail-over through the
 * peer"): when the local volume fails, the unit keeps serving the host from the remote copy, and
 * a replacement volume is later filled from the remote while host I/O goes on.
 *
 * <p><b>Degraded mode.</b> Entered ({@link #enter}) on the first I/O error of the local volume,
 * persisted in {@link FailoverState} before any write skips the volume. Host writes are journalled
 * and streamed as always but not written to the local volume; each completes only once the remote
 * has acknowledged it (whatever the ack mode: the remote is the only copy besides the journal), and
 * fails if that does not happen within {@code ack.sync-timeout-ms}. Host reads are READs from the
 * remote that must see the journal head at the time of the read: every write the host was told
 * about is at or below it. A read fails when there is no session or the remote does not catch up
 * within the same timeout — never with other data.
 *
 * <p><b>Replacement.</b> {@link #replace} attaches a new volume as a <i>shadow</i>: from then on the
 * volume stage writes every batch to it (and flushes), recording per chunk the highest seq written.
 * A copier thread fills it chunk by chunk from the remote: it reads chunk c with "see" = the journal
 * head h at that moment, then, under the shadow lock, writes the copy only if no write with a seq
 * above h has touched c on the shadow meanwhile (else it copies c again). Why that is right: the
 * copy holds, per block, the remote's state after some seq ≥ h; every write to c the volume stage
 * handled before the copy landed has a seq ≤ h (checked), so it is in the copy; every later one is
 * written after the copy, in seq order. Each block so ends at its newest write — the journal-redo
 * argument, with the copy as the starting state. When every chunk is copied the shadow is flushed
 * and swapped in ({@link ReplaceableVolume}), degraded mode ends, and the state file is cleared.
 */
public final class VolumeFailover {

    /** What {@code status} and the {@code volume} control command show. */
    public record Status(String state, String reason, long blocksReadThroughPeer, long peerReadFailures,
                         String resync, long resyncChunksCopied, long resyncChunks, long resyncRecopies,
                         String resyncError) {
    }

    private static final Logger log = LoggerFactory.getLogger(VolumeFailover.class);
    /** A chunk written by the host this many times during its copy makes the resync give up (it can be rerun). */
    private static final int MAX_COPY_ATTEMPTS = 1000;

    private final FailoverState state;
    private final PeerReadClient peer;
    private final Journal journal;
    private final ReplaceableVolume volume;
    private final int blockSize;
    private final long blockCount;
    private final int chunkBlocks;
    private final long syncTimeoutMs;

    private volatile boolean degraded;
    private volatile String reason = "";

    private final Object shadowLock = new Object();
    /** The replacement being filled, or null. Guarded by shadowLock. */
    private Volume shadow;
    /** Per chunk of the shadow: the highest seq the volume stage wrote to it. Guarded by shadowLock. */
    private long[] writtenSeq;
    private volatile String resyncState = "none";
    private volatile String resyncError;
    private final AtomicLong chunksCopied = new AtomicLong();
    private final AtomicLong recopies = new AtomicLong();
    private volatile long chunkCount;
    private Thread copier;

    VolumeFailover(FailoverState state, PeerReadClient peer, Journal journal, ReplaceableVolume volume,
                   int chunkBytes, long syncTimeoutMs) {
        this.state = state;
        this.peer = peer;
        this.journal = journal;
        this.volume = volume;
        this.blockSize = volume.blockSize();
        this.blockCount = volume.blockCount();
        this.chunkBlocks = Math.max(1, chunkBytes / blockSize);
        this.syncTimeoutMs = syncTimeoutMs;
        if (state.volumeFailed()) {
            degraded = true;
            reason = state.reason();
        }
    }

    public boolean degraded() {
        return degraded;
    }

    /**
     * The local volume failed: from now on host I/O goes through the peer. Persisted first.
     *
     * @return false if even that is impossible (the state could not be persisted): the caller
     *     stops accepting writes as before fail-over existed
     */
    synchronized boolean enter(String what, Throwable cause) {
        if (degraded) {
            return true;
        }
        try {
            state.markFailed(what);
        } catch (IOException e) {
            log.error("cannot persist the fail-over state in {}: {}", state.path(), e.getMessage());
            return false;
        }
        synchronized (shadowLock) {
            shadow = null;
        }
        reason = what;
        degraded = true;
        log.error("local volume failed ({}): DEGRADED, host reads and writes go through the remote copy until"
                + " the volume is replaced (blockmirror volume replace)", what, cause);
        return true;
    }

    /**
     * Reads {@code blocks} at {@code lba} from the remote as of the journal head, as degraded
     * mode does for every host read (public for tests and diagnostics; range checked by the caller).
     */
    public CompletableFuture<ByteBuffer> readThroughPeer(long lba, int blocks) {
        return read(lba, blocks);
    }

    /** Degraded: reads {@code blocks} at {@code lba} from the remote as of the journal head. */
    CompletableFuture<ByteBuffer> read(long lba, int blocks) {
        long see = journal.nextSeq() - 1;
        return peer.read(lba, blocks, see).exceptionallyCompose(e -> CompletableFuture.failedFuture(
                new BlockDeviceException(Reason.IO_ERROR, "local volume failed (" + reason + ") and the remote copy"
                        + " cannot serve the read of " + blocks + " blocks at " + lba + ": " + cause(e).getMessage(),
                        cause(e))));
    }

    /** The error of a degraded write the remote did not acknowledge in time. */
    BlockDeviceException writeNotAcknowledged(long seq) {
        return new BlockDeviceException(Reason.IO_ERROR, "local volume failed (" + reason + ") and the remote did not"
                + " acknowledge write seq " + seq + " within " + syncTimeoutMs + " ms (it stays journalled and is"
                + " sent when the remote is back)");
    }

    /**
     * The volume stage's batch, before its completion: if degraded, writes it to the shadow (if a
     * replacement is being filled) instead of the local volume.
     *
     * @return whether the batch skips the local volume (degraded): its writes complete on the
     *     remote's acknowledgement
     */
    boolean volumeStage(List<HostOp> batch) {
        if (!degraded) {
            return false;
        }
        synchronized (shadowLock) {
            if (shadow == null) {
                return true;
            }
            try {
                for (HostOp op : batch) {
                    if (!op.isHostIo() || op.inMap) {
                        continue;
                    }
                    if (op.trim) {
                        writeZeros(shadow, op.lba * blockSize, (long) op.blockCount * blockSize);
                    } else {
                        shadow.write(op.lba * blockSize, op.data.duplicate());
                    }
                    for (long c = op.lba / chunkBlocks; c <= (op.lba + op.blockCount - 1) / chunkBlocks; c++) {
                        writtenSeq[(int) c] = Math.max(writtenSeq[(int) c], op.seq);
                    }
                }
                shadow.flush();
            } catch (IOException e) {
                abandonShadow("writing host writes to the replacement " + shadow.describe() + " failed: "
                        + e.getMessage());
            }
        }
        return true;
    }

    /**
     * The operator replaced the failed disk: fills {@code replacement} from the remote in the
     * background while host I/O goes on, then serves from it. Returns at once.
     */
    public synchronized void replace(Volume replacement) throws IOException {
        if (!degraded) {
            throw new IOException("the local volume has not failed: nothing to replace");
        }
        if (copier != null && copier.isAlive()) {
            throw new IOException("a resync of the replacement is already running (" + chunksCopied.get() + " of "
                    + chunkCount + " chunks copied)");
        }
        if (replacement.blockSize() != blockSize || replacement.blockCount() != blockCount) {
            throw new IOException("replacement " + replacement.describe() + " has " + replacement.blockCount()
                    + " blocks of " + replacement.blockSize() + " bytes; the volume has " + blockCount + " of "
                    + blockSize);
        }
        long chunks = (blockCount + chunkBlocks - 1) / chunkBlocks;
        synchronized (shadowLock) {
            shadow = replacement;
            writtenSeq = new long[(int) chunks];
        }
        chunkCount = chunks;
        chunksCopied.set(0);
        recopies.set(0);
        resyncError = null;
        resyncState = "copying";
        log.info("resynchronising replacement volume {} from the remote: {} chunks of {} blocks",
                replacement.describe(), chunks, chunkBlocks);
        copier = new Thread(() -> copyAll(replacement, chunks), "volume-resync");
        copier.setDaemon(true);
        copier.start();
    }

    private void copyAll(Volume replacement, long chunks) {
        try {
            for (long c = 0; c < chunks; c++) {
                copyChunk(replacement, c);
            }
            synchronized (shadowLock) {
                if (shadow != replacement) {
                    throw new IOException(resyncError != null ? resyncError : "the resync was abandoned");
                }
                replacement.flush();
                volume.replace(replacement); // from here on the volume stage's normal path writes it
                degraded = false;
            }
            state.clear();
            resyncState = "done";
            log.info("replacement volume {} holds every block: left degraded mode, serving from the local volume",
                    replacement.describe());
        } catch (IOException | RuntimeException e) {
            abandonShadow("resync failed: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            abandonShadow("resync interrupted");
        }
    }

    private void copyChunk(Volume replacement, long c) throws IOException, InterruptedException {
        long lba = c * chunkBlocks;
        int blocks = (int) Math.min(chunkBlocks, blockCount - lba);
        for (int attempt = 1; attempt <= MAX_COPY_ATTEMPTS; attempt++) {
            long see = journal.nextSeq() - 1;
            ByteBuffer data;
            try {
                data = peer.read(lba, blocks, see).get();
            } catch (ExecutionException e) {
                throw new IOException("reading blocks " + lba + "+" + blocks + " from the remote: "
                        + cause(e).getMessage(), cause(e));
            }
            synchronized (shadowLock) {
                if (shadow != replacement) {
                    throw new IOException(resyncError != null ? resyncError : "the resync was abandoned");
                }
                if (writtenSeq[(int) c] > see) {
                    recopies.incrementAndGet(); // a newer host write reached the chunk: the copy may be older
                    continue;
                }
                replacement.write(lba * blockSize, data);
            }
            chunksCopied.incrementAndGet();
            return;
        }
        throw new IOException("blocks " + lba + "+" + blocks + " were written by the host during each of "
                + MAX_COPY_ATTEMPTS + " copies; run the replacement again when the host is quieter");
    }

    private void abandonShadow(String why) {
        synchronized (shadowLock) {
            shadow = null;
        }
        resyncError = why;
        resyncState = "failed";
        log.error("replacement of the local volume: {}; still degraded", why);
    }

    private static void writeZeros(Volume v, long offset, long length) throws IOException {
        ByteBuffer zeros = ByteBuffer.allocate((int) Math.min(length, 1 << 20));
        for (long pos = offset, end = offset + length; pos < end; ) {
            int n = (int) Math.min(zeros.capacity(), end - pos);
            zeros.clear().limit(n);
            v.write(pos, zeros);
            pos += n;
        }
    }

    private static Throwable cause(Throwable e) {
        return (e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null
                ? e.getCause() : e;
    }

    /** The VOLUME_IO_ERROR alert's message while degraded, else null. */
    String alertMessage() {
        if (!degraded) {
            return null;
        }
        return "local volume failed (" + reason + "): DEGRADED, serving host I/O through the peer"
                + switch (resyncState) {
                    case "copying" -> "; resync of the replacement: " + chunksCopied.get() + "/" + chunkCount + " chunks";
                    case "failed" -> "; last replacement failed: " + resyncError;
                    default -> "; replace the volume with `blockmirror volume replace`";
                };
    }

    public Status status() {
        return new Status(degraded ? "degraded" : "ok", degraded ? reason : null, peer.blocksRead(), peer.failures(),
                resyncState, chunksCopied.get(), chunkCount, recopies.get(), resyncError);
    }

    /** Waits for a running resync to end (tests, CLI --wait); true if none runs afterwards. */
    public boolean awaitResync(long millis) throws InterruptedException {
        Thread t;
        synchronized (this) {
            t = copier;
        }
        if (t != null) {
            t.join(millis);
            return !t.isAlive();
        }
        return true;
    }
}
