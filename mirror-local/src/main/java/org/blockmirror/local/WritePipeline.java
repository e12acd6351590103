package org.blockmirror.local;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.blockmirror.block.BlockDevice;
import org.blockmirror.block.BlockDeviceException;
import org.blockmirror.block.BlockDeviceException.Reason;
import org.blockmirror.journal.Journal;
import org.blockmirror.journal.JournalFullException;
import org.blockmirror.journal.RecordType;
import org.blockmirror.time.MonotonicClock;
import org.blockmirror.volume.Volume;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The local unit's write path: the {@link BlockDevice} a front end drives.
 *
 * <p>One write stage thread, so that group commit happens naturally (while one batch is being
 * made durable the next one accumulates): it assigns sequence numbers by appending every queued
 * op to the journal (waiting up to the full-journal timeout for space), one journal
 * {@code sync()}, writes the batch to the local volume in sequence order, then acknowledges the
 * host (async mode) or hands the batch to the wait for the remote (sync mode). No second thread
 * is woken per batch: on a small machine every hand-off is a context switch per write.
 *
 * <p>The volume is fdatasynced lazily, by the {@code volume-flusher} thread (every
 * {@link #VOLUME_FLUSH_INTERVAL_MS} ms, or sooner once {@link #VOLUME_FLUSH_BYTES} are
 * unflushed). That is safe for journalled writes: the journal is written first (write-ahead)
 * and made durable before the host hears of the write, and it keeps every record until the
 * local volume has <em>flushed</em> it ({@link #volumeDurableSeq}), so after a crash redoing
 * the journal from its tail makes the local volume equal to what the remote will end up with.
 * For that the journal must keep a record until the local volume holds it durably, not just
 * until the remote acknowledged it: the remote may well be faster. So this class, not the
 * replicator, releases journal records. An op whose data the journal does not hold sets
 * {@link HostOp#needsVolumeFlush}: its batch is flushed before it is acknowledged.
 */
public final class WritePipeline implements BlockDevice, AutoCloseable {

    /** Tuning of the write path. */
    public record Settings(AckMode ackMode, long fullTimeoutMs, long syncTimeoutMs, int maxRecordBytes,
                           long maxBatchBytes) {
    }

    private static final Logger log = LoggerFactory.getLogger(WritePipeline.class);

    private final Volume volume;
    private final Journal journal;
    private final MonotonicClock clock;
    private final Settings settings;
    private final int blockSize;
    private final long blockCount;

    private final ReentrantLock queueLock = new ReentrantLock();
    private final Condition queued = queueLock.newCondition();
    private final ArrayDeque<HostOp> incoming = new ArrayDeque<>();
    /** How long a written batch may stay unflushed on the volume (its journal records stay meanwhile). */
    static final long VOLUME_FLUSH_INTERVAL_MS = 50;
    /** Unflushed volume bytes that wake the flusher before its interval. */
    static final long VOLUME_FLUSH_BYTES = 64L << 20;
    /** Sync mode: locally durable ops waiting for the remote's acknowledgement, in seq order. */
    private final ArrayDeque<HostOp> awaitingRemote = new ArrayDeque<>();
    private final ReentrantLock remoteLock = new ReentrantLock();
    private long remoteAckedSeq;
    /** Every record up to this seq is on the local volume and flushed. Guarded by remoteLock. */
    private long volumeDurableSeq;
    /** Every record up to this seq is written to the local volume, maybe not flushed. Guarded by flushLock. */
    private long volumeWrittenSeq;
    /** Bytes written to the volume since the flusher last started a flush. Guarded by flushLock. */
    private long unflushedBytes;
    private boolean writeStageDone; // guarded by flushLock
    private final ReentrantLock flushLock = new ReentrantLock();
    private final Condition flushWanted = flushLock.newCondition();

    private final Thread journalStage;
    private final Thread volumeFlusher;
    private final ExecutorService readers;

    private final AtomicLong blocksWritten = new AtomicLong();
    private final AtomicLong writesCompleted = new AtomicLong();
    private final AtomicLong writesFailed = new AtomicLong();
    private final AtomicLong syncDegraded = new AtomicLong();
    private volatile boolean journalFullAlert;
    private volatile String fatalError;
    private volatile boolean closed;

    /**
     * @param volume must already hold every durable record of {@code journal} (the daemon redoes
     *               them before it builds the pipeline)
     */
    public WritePipeline(Volume volume, Journal journal, MonotonicClock clock, Settings settings) {
        this.volume = volume;
        this.journal = journal;
        this.clock = clock;
        this.settings = settings;
        this.blockSize = volume.blockSize();
        this.blockCount = volume.blockCount();
        this.volumeDurableSeq = journal.durableSeq();
        this.volumeWrittenSeq = volumeDurableSeq;
        this.journalStage = new Thread(this::journalLoop, "journal-stage");
        this.volumeFlusher = new Thread(this::flushLoop, "volume-flusher");
        this.readers = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "local-read");
            t.setDaemon(true);
            return t;
        });
    }

    public void start() {
        journalStage.start();
        volumeFlusher.start();
    }

    // ---- BlockDevice ----

    @Override
    public int blockSize() {
        return blockSize;
    }

    @Override
    public long blockCount() {
        return blockCount;
    }

    @Override
    public boolean isReady() {
        return !closed && fatalError == null;
    }

    @Override
    public CompletableFuture<ByteBuffer> read(long lba, int blocks) {
        BlockDeviceException bad = checkRange(lba, blocks);
        if (bad != null) {
            return CompletableFuture.failedFuture(bad);
        }
        return CompletableFuture.supplyAsync(() -> {
            ByteBuffer buf = ByteBuffer.allocate(blocks * blockSize);
            try {
                volume.read(lba * blockSize, buf);
            } catch (IOException e) {
                throw new BlockDeviceException(Reason.IO_ERROR, "read of " + blocks + " blocks at " + lba
                        + " from " + volume.describe() + " failed: " + e.getMessage(), e);
            }
            return buf.flip();
        }, readers);
    }

    @Override
    public CompletableFuture<Void> write(long lba, ByteBuffer data) {
        int bytes = data.remaining();
        if (bytes == 0 || bytes % blockSize != 0) {
            return CompletableFuture.failedFuture(new BlockDeviceException(Reason.OUT_OF_RANGE,
                    "write of " + bytes + " bytes is not a whole number of " + blockSize + "-byte blocks"));
        }
        int blocks = bytes / blockSize;
        BlockDeviceException bad = checkRange(lba, blocks);
        if (bad != null) {
            return CompletableFuture.failedFuture(bad);
        }
        // a write larger than one journal record / wire frame travels as several records
        int maxBlocks = Math.max(1, settings.maxRecordBytes() / blockSize);
        if (blocks <= maxBlocks) {
            return submit(new HostOp(false, lba, blocks, data.slice(), clock.nanos()));
        }
        List<CompletableFuture<Void>> parts = new ArrayList<>();
        for (int done = 0; done < blocks; done += maxBlocks) {
            int n = Math.min(maxBlocks, blocks - done);
            ByteBuffer part = data.slice(data.position() + done * blockSize, n * blockSize);
            parts.add(submit(new HostOp(false, lba + done, n, part, clock.nanos())));
        }
        return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new));
    }

    @Override
    public CompletableFuture<Void> trim(long lba, long blocks) {
        BlockDeviceException bad = checkRange(lba, blocks);
        if (bad != null) {
            return CompletableFuture.failedFuture(bad);
        }
        if (blocks == 0) {
            return CompletableFuture.completedFuture(null);
        }
        List<CompletableFuture<Void>> parts = new ArrayList<>();
        for (long done = 0; done < blocks; done += Integer.MAX_VALUE) {
            int n = (int) Math.min(Integer.MAX_VALUE, blocks - done);
            parts.add(submit(new HostOp(true, lba + done, n, null, clock.nanos())));
        }
        return parts.size() == 1 ? parts.get(0) : CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new));
    }

    /**
     * Every completed write is already durable (each batch is fdatasynced before the host is
     * told), so there is nothing left to flush: SYNCHRONIZE CACHE completes at once.
     */
    @Override
    public CompletableFuture<Void> flush() {
        return isReady() ? CompletableFuture.completedFuture(null) : CompletableFuture.failedFuture(notReady());
    }

    private BlockDeviceException checkRange(long lba, long blocks) {
        if (lba < 0 || blocks < 0 || lba > blockCount || blocks > blockCount - lba) {
            return new BlockDeviceException(Reason.OUT_OF_RANGE, "blocks " + lba + "+" + blocks
                    + " are beyond the device (" + blockCount + " blocks)");
        }
        return null;
    }

    private BlockDeviceException notReady() {
        return fatalError != null
                ? new BlockDeviceException(Reason.IO_ERROR, fatalError)
                : new BlockDeviceException(Reason.SHUTTING_DOWN, "the local unit is shutting down");
    }

    private CompletableFuture<Void> submit(HostOp op) {
        queueLock.lock();
        try {
            if (!isReady()) {
                return CompletableFuture.failedFuture(notReady());
            }
            incoming.add(op);
            queued.signal();
        } finally {
            queueLock.unlock();
        }
        return op.done;
    }

    // ---- journal stage ----

    private void journalLoop() {
        List<HostOp> batch = new ArrayList<>();
        while (true) {
            queueLock.lock();
            try {
                while (incoming.isEmpty() && !closed) {
                    queued.awaitUninterruptibly();
                }
                if (incoming.isEmpty()) {
                    break; // closed and drained
                }
                long bytes = 0;
                while (!incoming.isEmpty() && (batch.isEmpty() || bytes < settings.maxBatchBytes())) {
                    HostOp op = incoming.poll();
                    batch.add(op);
                    bytes += op.dataBytes();
                }
            } finally {
                queueLock.unlock();
            }
            List<HostOp> appended = appendAll(batch);
            batch.clear();
            if (appended.isEmpty()) {
                continue;
            }
            try {
                journal.sync();
            } catch (IOException e) {
                failFatally("journal " + e.getMessage(), e, appended);
                continue;
            }
            writeToVolume(appended);
        }
        flushLock.lock();
        try {
            writeStageDone = true; // the flusher makes its last flush and stops
            flushWanted.signalAll();
        } finally {
            flushLock.unlock();
        }
    }

    private List<HostOp> appendAll(List<HostOp> batch) {
        List<HostOp> appended = new ArrayList<>(batch.size());
        for (HostOp op : batch) {
            if (fatalError != null) {
                fail(op, notReady());
                continue;
            }
            long deadline = op.arrivalNanos + TimeUnit.MILLISECONDS.toNanos(settings.fullTimeoutMs());
            try {
                op.seq = journal.append(op.trim ? RecordType.TRIM : RecordType.WRITE, op.lba, op.blockCount,
                        op.trim ? null : op.data.duplicate(), deadline);
                appended.add(op);
            } catch (JournalFullException e) {
                if (!journalFullAlert) {
                    log.error("journal full: host writes are failing: {}", e.getMessage());
                }
                journalFullAlert = true;
                fail(op, new BlockDeviceException(Reason.JOURNAL_FULL, e.getMessage(), e));
            } catch (IOException e) {
                fail(op, new BlockDeviceException(Reason.IO_ERROR, "journal append failed: " + e.getMessage(), e));
            }
        }
        if (journalFullAlert && !journal.stats().full()) {
            journalFullAlert = false;
            log.info("journal has room again; host writes are accepted");
        }
        return appended;
    }

    // ---- volume (on the write stage) and its lazy flush ----

    /**
     * Writes a journalled batch to the volume, then completes it (async) or parks it for the
     * remote (sync). The volume is flushed here only if an op asks for it; otherwise the flusher
     * does it later and only then lets the journal release these records.
     */
    private void writeToVolume(List<HostOp> batch) {
        boolean flushNow = false;
        long bytes = 0;
        try {
            for (HostOp op : batch) {
                if (op.trim) {
                    writeZeros(op.lba * blockSize, (long) op.blockCount * blockSize);
                } else {
                    volume.write(op.lba * blockSize, op.data.duplicate());
                    bytes += op.dataBytes();
                }
                flushNow |= op.needsVolumeFlush;
            }
            if (flushNow) {
                volume.flush(); // covers every earlier batch too: they were written by this thread
            }
        } catch (IOException e) {
            // The journal already holds these writes, so the remote will get them; the
            // host is told they failed (SCSI leaves a failed write's blocks undefined).
            failFatally("local volume " + volume.describe() + ": " + e.getMessage(), e, batch);
            return;
        }
        long now = clock.nanos();
        for (HostOp op : batch) {
            blocksWritten.addAndGet(op.blockCount);
            op.locallyDurableNanos = now;
        }
        long last = batch.get(batch.size() - 1).seq;
        flushLock.lock();
        try {
            volumeWrittenSeq = Math.max(volumeWrittenSeq, last);
            unflushedBytes += bytes;
            if (unflushedBytes >= VOLUME_FLUSH_BYTES) {
                flushWanted.signal();
            }
        } finally {
            flushLock.unlock();
        }
        if (flushNow) {
            volumeFlushed(last);
        }
        if (settings.ackMode() == AckMode.ASYNC) {
            batch.forEach(this::complete);
        } else {
            awaitRemote(batch);
        }
    }

    /** The volume-flusher thread: fdatasyncs what the write stage wrote, then frees journal records. */
    private void flushLoop() {
        while (true) {
            long target;
            boolean last;
            flushLock.lock();
            try {
                if (!writeStageDone && unflushedBytes < VOLUME_FLUSH_BYTES) {
                    flushWanted.awaitNanos(TimeUnit.MILLISECONDS.toNanos(VOLUME_FLUSH_INTERVAL_MS));
                }
                last = writeStageDone;
                target = volumeWrittenSeq;
                unflushedBytes = 0;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } finally {
                flushLock.unlock();
            }
            if (target > volumeDurableSeqNow() && fatalError == null) {
                try {
                    volume.flush();
                    volumeFlushed(target);
                } catch (IOException e) {
                    // Acknowledged writes are safe: the journal keeps them (not released) and
                    // redoes them on the next start. New writes are refused.
                    failFatally("local volume " + volume.describe() + " flush: " + e.getMessage(), e, List.of());
                }
            }
            if (last) {
                return;
            }
        }
    }

    private long volumeDurableSeqNow() {
        remoteLock.lock();
        try {
            return volumeDurableSeq;
        } finally {
            remoteLock.unlock();
        }
    }

    /** Every record up to {@code seq} is flushed on the volume: the journal may let it go. */
    private void volumeFlushed(long seq) {
        remoteLock.lock();
        try {
            volumeDurableSeq = Math.max(volumeDurableSeq, seq);
            releaseJournal();
        } finally {
            remoteLock.unlock();
        }
    }

    private void writeZeros(long offset, long length) throws IOException {
        ByteBuffer zeros = ByteBuffer.allocate((int) Math.min(length, 1 << 20));
        for (long pos = offset, end = offset + length; pos < end; ) {
            int n = (int) Math.min(zeros.capacity(), end - pos);
            zeros.clear().limit(n);
            volume.write(pos, zeros);
            pos += n;
        }
    }

    // ---- sync mode ----

    private void awaitRemote(List<HostOp> batch) {
        remoteLock.lock();
        try {
            for (HostOp op : batch) {
                if (op.seq <= remoteAckedSeq) {
                    complete(op);
                } else {
                    awaitingRemote.add(op);
                }
            }
        } finally {
            remoteLock.unlock();
        }
    }

    /**
     * The remote has durably applied every write up to {@code seq}: completes sync-mode writes
     * and frees the journal records the local volume holds as well.
     */
    public void onRemoteAck(long seq) {
        boolean restored = false;
        remoteLock.lock();
        try {
            if (seq > remoteAckedSeq) {
                remoteAckedSeq = seq;
                // the remote acknowledges again: writes waiting for it now are not late
                restored = syncDegraded.getAndSet(0) > 0;
            }
            releaseJournal();
            if (settings.ackMode() == AckMode.SYNC) {
                while (!awaitingRemote.isEmpty() && awaitingRemote.peek().seq <= remoteAckedSeq) {
                    complete(awaitingRemote.poll());
                }
            }
        } finally {
            remoteLock.unlock();
        }
        if (restored) {
            log.info("sync mode restored: the remote acknowledges writes again");
        }
    }

    /**
     * Releases the journal up to what both the remote and the local volume hold: the journal is
     * also the local redo log, so a record the volume stage has not flushed must survive a crash.
     * remoteLock held.
     */
    private void releaseJournal() {
        long releasable = Math.min(remoteAckedSeq, volumeDurableSeq);
        if (releasable > 0) {
            journal.release(releasable);
        }
    }

    /**
     * Sync mode: completes writes the remote did not acknowledge within the sync timeout, so a
     * dead link degrades sync to async instead of stalling the host. Called periodically.
     *
     * @return how many writes were completed without the remote
     */
    public int expireSyncWaits() {
        long limit = TimeUnit.MILLISECONDS.toNanos(settings.syncTimeoutMs());
        long now = clock.nanos();
        int expired = 0;
        remoteLock.lock();
        try {
            while (!awaitingRemote.isEmpty() && now - awaitingRemote.peek().locallyDurableNanos >= limit) {
                complete(awaitingRemote.poll());
                expired++;
            }
        } finally {
            remoteLock.unlock();
        }
        if (expired > 0) {
            if (syncDegraded.getAndAdd(expired) == 0) {
                log.warn("sync mode degraded: the remote did not acknowledge within {} ms; writes complete locally",
                        settings.syncTimeoutMs());
            }
        }
        return expired;
    }

    // ---- completion ----

    private void complete(HostOp op) {
        writesCompleted.incrementAndGet();
        op.done.complete(null);
    }

    private void fail(HostOp op, BlockDeviceException e) {
        writesFailed.incrementAndGet();
        op.done.completeExceptionally(e);
    }

    private void failFatally(String what, IOException e, List<HostOp> ops) {
        if (fatalError == null) {
            fatalError = "I/O error, the local unit stopped accepting writes: " + what;
            log.error(fatalError, e);
        }
        for (HostOp op : ops) {
            fail(op, new BlockDeviceException(Reason.IO_ERROR, fatalError, e));
        }
    }

    // ---- status ----

    public long blocksWritten() {
        return blocksWritten.get();
    }

    public long writesCompleted() {
        return writesCompleted.get();
    }

    public long writesFailed() {
        return writesFailed.get();
    }

    public boolean journalFullAlert() {
        return journalFullAlert;
    }

    public boolean syncDegraded() {
        remoteLock.lock();
        try {
            return settings.ackMode() == AckMode.SYNC && syncDegraded.get() > 0 && !awaitingRemote.isEmpty();
        } finally {
            remoteLock.unlock();
        }
    }

    public String fatalError() {
        return fatalError;
    }

    /** Stops accepting writes, finishes what was queued, and stops the stage threads. */
    @Override
    public void close() throws InterruptedException {
        queueLock.lock();
        try {
            closed = true;
            queued.signalAll();
        } finally {
            queueLock.unlock();
        }
        journalStage.join(30_000);
        volumeFlusher.join(30_000);
        remoteLock.lock();
        try {
            // sync-mode writes still waiting are durable locally and in the journal
            awaitingRemote.forEach(this::complete);
            awaitingRemote.clear();
        } finally {
            remoteLock.unlock();
        }
        readers.shutdown();
    }
}
