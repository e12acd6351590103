package org.blockmirror.local;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntFunction;
import org.blockmirror.block.BlockDevice;
import org.blockmirror.block.BlockDeviceException;
import org.blockmirror.block.BlockDeviceException.Reason;
import org.blockmirror.journal.Journal;
import org.blockmirror.journal.JournalFullException;
import org.blockmirror.journal.JournalRecord;
import org.blockmirror.journal.RecordType;
import org.blockmirror.time.MonotonicClock;
import org.blockmirror.volume.Volume;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The local unit's write path: the {@link BlockDevice} a front end drives.
 *
 * <p>Two stages, each one thread, so that group commit happens naturally (while one batch is
 * being made durable the next one accumulates) and the two fsyncs of a batch overlap with the
 * next batch's work:
 * <ol>
 *   <li>journal stage: assigns sequence numbers by appending every queued op to the journal
 *       (waiting up to the full-journal timeout for space), then one {@code sync()};</li>
 *   <li>volume stage: writes the batch to the local volume in sequence order, one fdatasync,
 *       then acknowledges the host (async mode) or waits for the remote (sync mode).</li>
 * </ol>
 * The journal is written first (write-ahead): the volume never holds a write the journal could
 * lose, so after a crash redoing the journal from its tail makes the local volume equal to
 * what the remote will end up with. For that the journal must keep a record until the local
 * volume holds it too, not just until the remote acknowledged it: the remote may well be
 * faster than the volume stage. So this class, not the replicator, releases journal records.
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
    private final LinkedBlockingQueue<List<HostOp>> toVolume = new LinkedBlockingQueue<>(4);
    /** Sync mode: locally durable ops waiting for the remote's acknowledgement, in seq order. */
    private final ArrayDeque<HostOp> awaitingRemote = new ArrayDeque<>();
    private final ReentrantLock remoteLock = new ReentrantLock();
    private long remoteAckedSeq;
    /** Every record up to this seq is on the local volume and flushed. Guarded by remoteLock. */
    private long volumeDurableSeq;
    private final Condition volumeAdvanced = remoteLock.newCondition();

    // Compact mode and copy-on-overwrite (SPEC F8): CompactIndex and the classes around it.
    private final CompactPolicy compactPolicy;
    private final CompactIndex compactIndex;
    private final CopyOnOverwrite copyOnOverwrite;
    private final CompactSendData compactSendData;
    private volatile BufferMode bufferMode = BufferMode.NORMAL;

    private final Thread journalStage;
    private final Thread volumeStage;
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
    public WritePipeline(Volume volume, Journal journal, MonotonicClock clock, Settings settings) throws IOException {
        this(volume, journal, clock, settings, CompactPolicy.NEVER);
    }

    /**
     * @param volume  must already hold every durable record of {@code journal} (the daemon redoes
     *                them before it builds the pipeline)
     * @param compact when writes are journalled as block numbers only; the index of what the
     *                journal's COMPACT records still need is rebuilt from the journal here
     */
    public WritePipeline(Volume volume, Journal journal, MonotonicClock clock, Settings settings,
                         CompactPolicy compact) throws IOException {
        this.compactPolicy = compact;
        this.compactIndex = CompactIndex.rebuild(journal);
        this.copyOnOverwrite = new CopyOnOverwrite(compactIndex, journal, volume, this::awaitVolumeThrough,
                settings.maxRecordBytes());
        this.compactSendData = new CompactSendData(compactIndex, journal, volume, this::awaitVolumeThrough);
        this.volume = volume;
        this.journal = journal;
        this.clock = clock;
        this.settings = settings;
        this.blockSize = volume.blockSize();
        this.blockCount = volume.blockCount();
        this.volumeDurableSeq = journal.durableSeq();
        this.journalStage = new Thread(this::journalLoop, "journal-stage");
        this.volumeStage = new Thread(this::volumeLoop, "volume-stage");
        this.readers = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "local-read");
            t.setDaemon(true);
            return t;
        });
    }

    public void start() {
        journalStage.start();
        volumeStage.start();
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
            if (!handOver(appended)) {
                return;
            }
        }
        try {
            toVolume.put(List.of()); // end marker for the volume stage
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Makes the appended ops durable in the journal (one sync) and passes them to the volume
     * stage. Returns false if interrupted.
     */
    private boolean handOver(List<HostOp> appended) {
        if (appended.isEmpty()) {
            return true;
        }
        try {
            journal.sync();
        } catch (IOException e) {
            failFatally("journal " + e.getMessage(), e, appended);
            return true;
        }
        try {
            toVolume.put(appended);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
        return true;
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
                if (!appended.isEmpty()
                        && copyOnOverwrite.newestRecordNeeding(op.lba, op.blockCount) >= appended.get(0).seq) {
                    // it overwrites a COMPACT write of this very batch: that must reach the volume first
                    handOver(appended);
                    appended = new ArrayList<>(batch.size());
                }
                copyOnOverwrite.preserve(op.lba, op.blockCount, deadline);
                op.compact = !op.trim && compactPolicy.compact(journal.stats());
                RecordType type = op.trim ? RecordType.TRIM : op.compact ? RecordType.COMPACT : RecordType.WRITE;
                op.seq = journal.append(type, op.lba, op.blockCount, type == RecordType.WRITE ? op.data.duplicate() : null,
                        deadline);
                compactIndex.appended(type, op.seq, op.lba, op.blockCount);
                if (!op.trim) {
                    bufferMode = op.compact ? BufferMode.COMPACT : BufferMode.NORMAL;
                }
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

    // ---- volume stage ----

    private void volumeLoop() {
        while (true) {
            List<HostOp> batch;
            try {
                batch = toVolume.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            if (batch.isEmpty()) {
                return;
            }
            try {
                for (HostOp op : batch) {
                    if (op.trim) {
                        writeZeros(op.lba * blockSize, (long) op.blockCount * blockSize);
                    } else {
                        volume.write(op.lba * blockSize, op.data.duplicate());
                    }
                }
                volume.flush();
            } catch (IOException e) {
                // The journal already holds these writes, so the remote will get them; the
                // host is told they failed (SCSI leaves a failed write's blocks undefined).
                failFatally("local volume " + volume.describe() + ": " + e.getMessage(), e, batch);
                continue;
            }
            long now = clock.nanos();
            for (HostOp op : batch) {
                blocksWritten.addAndGet(op.blockCount);
                op.locallyDurableNanos = now;
            }
            remoteLock.lock();
            try {
                volumeDurableSeq = Math.max(volumeDurableSeq, batch.get(batch.size() - 1).seq);
                volumeAdvanced.signalAll();
                releaseJournal();
            } finally {
                remoteLock.unlock();
            }
            if (settings.ackMode() == AckMode.ASYNC) {
                batch.forEach(this::complete);
            } else {
                awaitRemote(batch);
            }
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
                compactIndex.acknowledged(seq);
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

    /**
     * Waits until the volume stage has written and flushed every host write up to {@code seq}
     * (copy-on-overwrite and the compact sender need the volume as of that write).
     */
    private void awaitVolumeThrough(long seq) throws IOException {
        remoteLock.lock();
        try {
            while (volumeDurableSeq < seq) {
                if (fatalError != null) {
                    throw new IOException(fatalError);
                }
                if (!volumeStage.isAlive() && closed) {
                    throw new IOException("the local unit is shutting down (volume stage stopped before seq " + seq + ")");
                }
                volumeAdvanced.await(100, TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while waiting for the volume stage to reach seq " + seq);
        } finally {
            remoteLock.unlock();
        }
    }

    /**
     * A journal record as the replicator sends it: COMPACT records get their data from the
     * volume and PRESERVED copies, PRESERVED records become a no-op WRITE ({@link CompactSendData}).
     */
    JournalRecord sendable(JournalRecord rec, IntFunction<ByteBuffer> buffers) throws IOException {
        return compactSendData.sendable(rec, buffers);
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

    /** How writes are being journalled: NORMAL, or COMPACT above the high-water mark. */
    public BufferMode bufferMode() {
        return bufferMode;
    }

    /** COMPACT records journalled since start (including those found in the journal at start). */
    public long compactRecords() {
        return compactIndex.compactRecords();
    }

    /** Blocks copied aside into PRESERVED records since start (including those found at start). */
    public long preservedBlocks() {
        return compactIndex.preservedBlocks();
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
        volumeStage.join(30_000);
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
