package org.blockmirror.local;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntFunction;
import org.blockmirror.block.BlockDevice;
import org.blockmirror.block.BlockDeviceException;
import org.blockmirror.block.BlockDeviceException.Reason;
import org.blockmirror.block.SubmissionBatch;
import org.blockmirror.dirtymap.DirtyMap;
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
 * <p>One write stage thread, so that group commit happens naturally (while one batch is being
 * made durable the next one accumulates): it assigns sequence numbers by appending every queued
 * op to the journal (waiting up to the full-journal timeout for space), one journal
 * {@code sync()}, writes the batch to the local volume in sequence order, then acknowledges the
 * host (async mode) or parks the batch until the remote acknowledges it (sync and verified
 * modes). No second thread is woken per batch: on a small machine every hand-off is a context
 * switch per write. For the same reason a front end that submits in batches
 * ({@link #beginBatch}, e.g. every command of one pass over the TCMU ring) has its batch run on
 * its own thread when the stage is idle; the stage's work is serialized by {@link #stageLock},
 * whichever thread does it.
 *
 * <p>The volume is fdatasynced lazily, by the {@code volume-flusher} thread (every
 * {@link #VOLUME_FLUSH_INTERVAL_MS} ms, or sooner once {@link #VOLUME_FLUSH_BYTES} are
 * unflushed). That is safe for journalled writes: the journal is written first (write-ahead)
 * and made durable before the host hears of the write, and it keeps every record until the
 * local volume has <em>flushed</em> it ({@link #volumeDurableSeq}), so after a crash redoing
 * the journal from its tail makes the local volume equal to what the remote will end up with.
 * For that the journal must keep a record until the local volume holds it durably, not just
 * until the remote acknowledged it: the remote may well be faster. So this class, not the
 * replicator, releases journal records. A write whose data the journal does not hold (a COMPACT
 * record, a bitmap-mode write) has its batch flushed before it is acknowledged.
 *
 * <p>With a {@link DirtyMap} the pipeline also has bitmap mode (docs/architecture.md, "Bitmap
 * mode"): a full journal collapses into the map instead of failing host writes, and the operator
 * can stop enqueueing. Mode switches run on the journal stage, between two host writes.
 */
public final class WritePipeline implements BlockDevice, DirtyTracking, AutoCloseable {

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
    /**
     * Held by whoever runs the write stage's work on a batch: the journal-stage thread, or a
     * front end's thread running its own {@link SubmissionBatch} inline. One at a time, so
     * sequence numbers follow queue order and the mode switches stay between two batches.
     */
    private final ReentrantLock stageLock = new ReentrantLock();
    /** The thread whose open batch holds back its submissions (no wake-up of the stage). Guarded by queueLock. */
    private Thread batchOwner;
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
    private final Condition volumeAdvanced = remoteLock.newCondition();
    /** Every record up to this seq is written to the local volume, maybe not flushed. Guarded by flushLock. */
    private long volumeWrittenSeq;
    /** Bytes written to the volume since the flusher last started a flush. Guarded by flushLock. */
    private long unflushedBytes;
    private boolean writeStageDone; // guarded by flushLock
    private final ReentrantLock flushLock = new ReentrantLock();
    private final Condition flushWanted = flushLock.newCondition();
    /** Null: no dirty map, a full journal fails host writes with JOURNAL_FULL after the timeout. */
    private final BitmapMode bitmap;

    // Compact mode and copy-on-overwrite (SPEC F8): CompactIndex and the classes around it.
    private final CompactPolicy compactPolicy;
    private final CompactIndex compactIndex;
    private final CopyOnOverwrite copyOnOverwrite;
    private final CompactSendData compactSendData;
    private volatile BufferMode bufferMode = BufferMode.NORMAL;

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
    /** Fail-over through the peer (SPEC F12), or null: a volume I/O error stops the unit. */
    private volatile VolumeFailover failover;
    /** Entering degraded mode and entering bitmap mode exclude each other (bitmap mode needs the volume). */
    private final Object volumeModeSwitch = new Object();

    /**
     * @param volume must already hold every durable record of {@code journal} (the daemon redoes
     *               them before it builds the pipeline)
     */
    public WritePipeline(Volume volume, Journal journal, MonotonicClock clock, Settings settings) throws IOException {
        this(volume, journal, clock, settings, CompactPolicy.NEVER);
    }

    /**
     * With compact mode, without bitmap mode.
     *
     * @param compact when writes are journalled as block numbers only; the index of what the
     *                journal's COMPACT records still need is rebuilt from the journal here
     */
    public WritePipeline(Volume volume, Journal journal, MonotonicClock clock, Settings settings,
                         CompactPolicy compact) throws IOException {
        this(volume, journal, clock, settings, compact, (BitmapMode) null);
    }

    /** With bitmap mode, without compact mode. */
    public WritePipeline(Volume volume, Journal journal, MonotonicClock clock, Settings settings, DirtyMap dirtyMap,
                         QueueControlState state) throws IOException {
        this(volume, journal, clock, settings, CompactPolicy.NEVER, dirtyMap, state);
    }

    /**
     * With compact and bitmap mode. If the map is not empty or the operator had stopped
     * enqueueing, the pipeline starts in bitmap mode (after a crash or restart in bitmap mode).
     *
     * @param volume  must already hold every durable record of {@code journal} (the daemon redoes
     *                them before it builds the pipeline)
     * @param compact when writes are journalled as block numbers only
     */
    public WritePipeline(Volume volume, Journal journal, MonotonicClock clock, Settings settings,
                         CompactPolicy compact, DirtyMap dirtyMap, QueueControlState state) throws IOException {
        this(volume, journal, clock, settings, compact, new BitmapMode(dirtyMap, state));
        if (!dirtyMap.isEmpty() || state.enqueueStopped()) {
            bitmap.enter(journal.durableSeq(), !dirtyMap.isEmpty()
                    ? "the dirty map holds " + dirtyMap.dirtyChunks() + " chunks at start-up"
                    : "enqueueing was stopped by the operator before the restart");
        }
    }

    private WritePipeline(Volume volume, Journal journal, MonotonicClock clock, Settings settings,
                          CompactPolicy compact, BitmapMode bitmap) throws IOException {
        this.bitmap = bitmap;
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
        this.volumeWrittenSeq = volumeDurableSeq;
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

    /** Serves through the peer when the local volume fails instead of stopping ({@link VolumeFailover}). */
    void enableFailover(VolumeFailover f) {
        this.failover = f;
    }

    /**
     * The local volume failed: degraded mode if the remote copy can stand in for it, i.e. unless
     * the dirty map holds writes that only the local volume has.
     */
    private boolean enterDegraded(String what, IOException e) {
        VolumeFailover f = failover;
        if (f == null) {
            return false;
        }
        synchronized (volumeModeSwitch) {
            if (bitmap != null && (bitmap.active() || !bitmap.map().isEmpty())) {
                log.error("local volume failed ({}), and the remote cannot stand in: the dirty map holds {} chunks"
                        + " that only the local volume has", what, bitmap.map().dirtyChunks());
                return false;
            }
            return f.enter(what, e);
        }
    }

    private boolean degraded() {
        VolumeFailover f = failover;
        return f != null && f.degraded();
    }

    /** Bitmap mode and the dirty map keep data on the local volume only: refused while it has failed. */
    private void refuseIfDegraded(String what) throws IOException {
        if (degraded()) {
            throw new IOException(what + " is impossible: the local volume failed and host I/O goes through the peer");
        }
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
        VolumeFailover f = failover;
        if (f != null && f.degraded()) {
            return f.read(lba, blocks);
        }
        CompletableFuture<ByteBuffer> local = CompletableFuture.supplyAsync(() -> {
            ByteBuffer buf = ByteBuffer.allocate(blocks * blockSize);
            try {
                volume.read(lba * blockSize, buf);
            } catch (IOException e) {
                throw new BlockDeviceException(Reason.IO_ERROR, "read of " + blocks + " blocks at " + lba
                        + " from " + volume.describe() + " failed: " + e.getMessage(), e);
            }
            return buf.flip();
        }, readers);
        return f == null ? local : local.exceptionallyCompose(e -> {
            Throwable c = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
            if (c.getCause() instanceof IOException io
                    && enterDegraded("read from " + volume.describe() + " failed: " + io.getMessage(), io)) {
                return f.read(lba, blocks);
            }
            return CompletableFuture.failedFuture(c);
        });
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
            if (batchOwner != Thread.currentThread() || !op.isHostIo()) {
                queued.signal();
            }
        } finally {
            queueLock.unlock();
        }
        return op.done;
    }

    /**
     * Host writes the calling thread submits until the batch is closed are not handed to the
     * journal-stage thread one by one. At close, if that thread is idle, the caller runs the
     * write stage on them itself (journal append and sync, volume write, completions): for a
     * lone write that saves the wake-up of another thread and a context switch, which on a
     * small machine cost as much as the write. If the stage is busy, the batch is handed over
     * whole and goes into its next group commit. Only one batch is open at a time; a second
     * caller just submits as usual.
     */
    @Override
    public SubmissionBatch beginBatch() {
        queueLock.lock();
        try {
            if (batchOwner != null || closed) {
                return SubmissionBatch.NONE;
            }
            batchOwner = Thread.currentThread();
        } finally {
            queueLock.unlock();
        }
        return this::endBatch;
    }

    /** Whether a thread is running the write stage's work right now (tests). */
    boolean stageBusy() {
        return stageLock.isLocked();
    }

    private void endBatch() {
        queueLock.lock();
        try {
            batchOwner = null;
            if (incoming.isEmpty()) {
                return;
            }
        } finally {
            queueLock.unlock();
        }
        if (stageLock.tryLock()) {
            try {
                runStage(new ArrayList<>());
            } finally {
                stageLock.unlock();
            }
        }
        queueLock.lock();
        try {
            if (!incoming.isEmpty()) {
                queued.signal(); // the stage was busy, or more than one batch's worth is queued
            }
        } finally {
            queueLock.unlock();
        }
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
            } finally {
                queueLock.unlock();
            }
            stageLock.lock();
            try {
                if (!runStage(batch)) {
                    return;
                }
            } finally {
                stageLock.unlock();
            }
        }
        flushLock.lock();
        try {
            writeStageDone = true; // the flusher makes its last flush and stops
            flushWanted.signalAll();
        } finally {
            flushLock.unlock();
        }
    }

    /**
     * The write stage's work on one batch: takes up to {@code maxBatchBytes} of queued ops (none
     * if another thread took them meanwhile), appends them, syncs, writes the volume. Holding
     * {@link #stageLock}. Returns false if interrupted.
     */
    private boolean runStage(List<HostOp> batch) {
        queueLock.lock();
        try {
            long bytes = 0;
            while (!incoming.isEmpty() && (batch.isEmpty() || bytes < settings.maxBatchBytes())) {
                HostOp op = incoming.poll();
                batch.add(op);
                bytes += op.dataBytes();
            }
        } finally {
            queueLock.unlock();
        }
        if (batch.isEmpty()) {
            return true;
        }
        List<HostOp> appended = appendAll(batch);
        batch.clear();
        return handOver(appended);
    }

    /**
     * Makes the appended ops durable in the journal (one sync), then writes them to the volume
     * on this same thread ({@link #writeToVolume}). Returns false if interrupted.
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
        writeToVolume(appended);
        return !Thread.currentThread().isInterrupted();
    }

    private List<HostOp> appendAll(List<HostOp> batch) {
        List<HostOp> appended = new ArrayList<>(batch.size());
        for (HostOp op : batch) {
            if (!op.isHostIo()) {
                journalStageStep(op, appended);
                continue;
            }
            if (fatalError != null) {
                fail(op, notReady());
                continue;
            }
            if (bitmap != null && bitmap.active()) {
                markInMap(op, appended);
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
                op.compact = !op.trim && !degraded() && compactPolicy.compact(journal.stats());
                RecordType type = op.trim ? RecordType.TRIM : op.compact ? RecordType.COMPACT : RecordType.WRITE;
                op.seq = journal.append(type, op.lba, op.blockCount, type == RecordType.WRITE ? op.data.duplicate() : null,
                        deadline);
                compactIndex.appended(type, op.seq, op.lba, op.blockCount);
                if (!op.trim) {
                    bufferMode = op.compact ? BufferMode.COMPACT : BufferMode.NORMAL;
                }
                appended.add(op);
            } catch (JournalFullException e) {
                if (bitmap != null && !degraded()) {
                    if (collapseIntoMap(appended, e)) {
                        markInMap(op, appended);
                    } else {
                        fail(op, notReady());
                    }
                    continue;
                }
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

    // ---- bitmap mode (journal stage) ----

    /** Runs a mode-switch step, or passes a barrier on to the volume stage, in queue order. */
    private void journalStageStep(HostOp op, List<HostOp> appended) {
        if (op.barrier) {
            appended.add(op);
            return;
        }
        // what was appended before the step must be durable and on its way to the volume first
        handOverSoFar(appended);
        op.onJournalStage.run();
    }

    /** {@link #handOver} of what this batch appended so far, which then starts over empty. */
    private void handOverSoFar(List<HostOp> appended) {
        handOver(new ArrayList<>(appended));
        appended.clear();
    }

    /** Bitmap mode: the op's chunks are marked durably before it goes to the volume. */
    private void markInMap(HostOp op, List<HostOp> toVolumeStage) {
        if (copyOnOverwrite.newestRecordNeeding(op.lba, op.blockCount) > 0 && !preserveForMapWrite(op, toVolumeStage)) {
            return;
        }
        try {
            bitmap.map().mark(op.lba, op.blockCount);
        } catch (IOException e) {
            failFatally("dirty map " + bitmap.map().path() + ": " + e.getMessage(), e, List.of(op));
            return;
        }
        op.inMap = true;
        toVolumeStage.add(op);
    }

    /**
     * A queued COMPACT record (enqueueing was stopped while the journal held some) still reads
     * blocks of this write from the volume: copy them aside first, as in normal mode, so the
     * remote never gets this newer data in the older record's place. If the journal has no room
     * for the copies, the whole queue moves into the map instead (it then needs no data).
     *
     * @return false if the unit stopped accepting writes
     */
    private boolean preserveForMapWrite(HostOp op, List<HostOp> toVolumeStage) {
        handOverSoFar(toVolumeStage);
        try {
            copyOnOverwrite.preserve(op.lba, op.blockCount, clock.nanos());
            return true; // the copies are synced with the batch, before this write reaches the volume
        } catch (JournalFullException e) {
            try {
                moveToMap(journal.nextSeq() - 1); // what this batch held was handed over above
                return true;
            } catch (IOException io) {
                failFatally("moving the journal into the dirty map: " + io.getMessage(), io, List.of(op));
                return false;
            }
        } catch (IOException e) {
            failFatally("copying blocks aside before a bitmap-mode write: " + e.getMessage(), e, List.of(op));
            return false;
        }
    }

    /**
     * Host writes go to the map from now on: waits until the local volume holds every journaled
     * record durably, then switches (which persists that seq, so the start-up redo will not
     * replay those records over newer bitmap-mode writes). Journal stage, after {@link #handOverSoFar}.
     */
    private void enterBitmap(String why) throws IOException {
        if (bitmap.active()) {
            return;
        }
        long last = journal.nextSeq() - 1;
        awaitVolumeThrough(last);
        synchronized (volumeModeSwitch) {
            refuseIfDegraded("bitmap mode (" + why + ")");
            bitmap.enter(last, why);
        }
    }

    /**
     * The journal is full: every record the remote has not acknowledged goes into the map and
     * is released, and the pipeline enters bitmap mode. The host never waits for the link.
     *
     * @return false if the switch failed (the unit stopped accepting writes)
     */
    private boolean collapseIntoMap(List<HostOp> appended, JournalFullException full) {
        handOverSoFar(appended);
        try {
            long head = journal.nextSeq() - 1;
            enterBitmap("the journal is full (" + full.getMessage() + ")");
            moveToMap(head);
            return true;
        } catch (IOException e) {
            failFatally("collapsing the full journal into the dirty map: " + e.getMessage(), e, List.of());
            return false;
        }
    }

    /**
     * Marks every journal record from the tail through {@code throughSeq} in the map, then
     * releases them: the local volume must hold them first (it is waited for), the marks are
     * durable before the release. Sync-mode writes among them complete: the remote gets their
     * blocks by remirror. Any thread.
     */
    JournalToMap.Result moveToMap(long throughSeq) throws IOException {
        if (bitmap == null) {
            throw new IllegalStateException("this write pipeline has no dirty map");
        }
        refuseIfDegraded("moving journal records into the dirty map");
        awaitVolumeThrough(throughSeq);
        JournalToMap.Result result = JournalToMap.mark(journal, bitmap.map(), throughSeq);
        journal.release(throughSeq);
        compactIndex.acknowledged(throughSeq); // never sent now: their data is not needed any more
        remoteLock.lock();
        try {
            while (!awaitingRemote.isEmpty() && awaitingRemote.peek().seq <= throughSeq) {
                complete(awaitingRemote.poll());
            }
        } finally {
            remoteLock.unlock();
        }
        log.info("moved {} journal records through seq {} into the dirty map ({} chunks newly dirty, {} dirty)",
                result.records(), throughSeq, result.newlyDirtyChunks(), bitmap.map().dirtyChunks());
        return result;
    }

    /** Runs {@code step} on the journal stage between the host writes queued before and after it. */
    private <T> T onJournalStage(java.util.concurrent.Callable<T> step) throws IOException {
        CompletableFuture<T> result = new CompletableFuture<>();
        submit(HostOp.journalStageStep(() -> {
            try {
                result.complete(step.call());
            } catch (Exception e) {
                result.completeExceptionally(e);
            }
        }, clock.nanos())).whenComplete((v, e) -> {
            if (e != null) { // refused: closed or failed
                result.completeExceptionally(e);
            }
        });
        try {
            return result.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted");
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            throw c instanceof IOException io ? io : new IOException(c.getMessage(), c);
        }
    }

    private BitmapMode requireBitmap() {
        if (bitmap == null) {
            throw new IllegalStateException("this write pipeline has no dirty map");
        }
        return bitmap;
    }

    // ---- DirtyTracking (used by remirror) and queue control ----

    @Override
    public DirtyMap dirtyMap() {
        return requireBitmap().map();
    }

    @Override
    public void awaitVolumeWrites() throws InterruptedException, IOException {
        HostOp barrier = HostOp.volumeBarrier(clock.nanos());
        try {
            submit(barrier).get();
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            throw c instanceof IOException io ? io : new IOException(c.getMessage(), c);
        }
    }

    @Override
    public OptionalLong resumeJournaling() throws IOException {
        BitmapMode b = requireBitmap();
        return onJournalStage(() -> {
            if (b.enqueueStopped() || !b.map().isEmpty()) {
                return OptionalLong.empty();
            }
            long next = journal.nextSeq();
            if (b.active()) {
                b.leave(next);
            }
            return OptionalLong.of(next);
        });
    }

    @Override
    public void startFullSync() throws IOException {
        BitmapMode b = requireBitmap();
        onJournalStage(() -> {
            enterBitmap("full sync: every chunk of the volume is to be sent");
            b.map().markAll();
            return null;
        });
    }

    /**
     * Operator: host writes go to the dirty map instead of the journal (the queued records are
     * still sent). Persists across a restart.
     */
    public void stopEnqueueing() throws IOException {
        BitmapMode b = requireBitmap();
        onJournalStage(() -> {
            b.setEnqueueStopped(true);
            enterBitmap("enqueueing stopped by the operator");
            return null;
        });
    }

    /**
     * Operator: enqueueing is allowed again. Host writes go back to the journal at once if the
     * map is empty, else once remirror has sent the map ({@link #resumeJournaling()}).
     *
     * @return whether writes go to the journal again already
     */
    public boolean startEnqueueing() throws IOException {
        BitmapMode b = requireBitmap();
        onJournalStage(() -> {
            b.setEnqueueStopped(false);
            return null;
        });
        return resumeJournaling().isPresent();
    }

    /** Remirror tells the pipeline it is sending the map (status shows {@link BufferMode#REMIRROR}). */
    public void remirrorRunning(boolean running) {
        if (bitmap != null) {
            bitmap.remirrorRunning(running);
        }
    }

    /** Where host writes go now. */
    public BufferMode mode() {
        if (bitmap != null && bitmap.active()) {
            return bitmap.mode();
        }
        // what the next host write would be journalled as, not what the last one was
        return compactPolicy.compact(journal.stats()) ? BufferMode.COMPACT : BufferMode.NORMAL;
    }

    /** Whether the operator stopped enqueueing. */
    public boolean enqueueStopped() {
        return bitmap != null && bitmap.enqueueStopped();
    }

    /**
     * In bitmap mode: the first journal seq that is newer than the map's bitmap-mode marks.
     * Every record before it must be applied on the remote before remirror reads a chunk, or
     * it would later overwrite the newer data remirror sent. 0 when not in bitmap mode.
     */
    public long bitmapSinceSeq() {
        return bitmap == null ? 0 : bitmap.sinceSeq();
    }

    /** Why the pipeline is in bitmap mode ("" if it is not). */
    public String bitmapReason() {
        return bitmap == null ? "" : bitmap.reason();
    }

    /** Whether the pipeline has a dirty map (bitmap mode is possible). */
    public boolean hasDirtyMap() {
        return bitmap != null;
    }

    // ---- volume stage ----

    /**
     * Writes a journalled batch to the volume, then completes it (async) or parks it for the
     * remote (sync). Runs on the journal stage: no second thread is woken per batch (on a small
     * machine every hand-off is a context switch per write). The volume is flushed here only if
     * an op's data is not in the journal (COMPACT records, bitmap-mode writes); otherwise the
     * flusher does it later and only then lets the journal release these records.
     */
    private void writeToVolume(List<HostOp> batch) {
        boolean flushNow = false;
        long bytes = 0;
        // degraded: the batch skips the local volume (fail-over) and completes on the remote's ack
        boolean throughPeer = failover != null && failover.volumeStage(batch);
        try {
            for (HostOp op : batch) {
                if (!op.isHostIo() || throughPeer) {
                    continue;
                }
                if (op.trim) {
                    writeZeros(op.lba * blockSize, (long) op.blockCount * blockSize);
                } else {
                    volume.write(op.lba * blockSize, op.data.duplicate());
                    bytes += op.dataBytes();
                }
                flushNow |= op.needsVolumeFlush();
            }
            if (flushNow) {
                volume.flush(); // covers every earlier batch too: written before, under the stage lock
            }
        } catch (IOException e) {
            String what = "local volume " + volume.describe() + ": " + e.getMessage();
            if (enterDegraded(what, e)) {
                throughPeer = failover.volumeStage(batch); // the journal holds them: the remote serves them
                flushNow = false;
                bytes = 0;
            } else {
                // The journal already holds these writes, so the remote will get them; the
                // host is told they failed (SCSI leaves a failed write's blocks undefined).
                failFatally(what, e, batch);
                return;
            }
        }
        long now = clock.nanos();
        long lastSeq = 0;
        List<HostOp> journaled = new ArrayList<>(batch.size());
        List<HostOp> durableNow = new ArrayList<>();
        for (HostOp op : batch) {
            if (op.barrier) {
                durableNow.add(op); // awaitVolumeWrites: written is what it waits for
            } else if (op.inMap) {
                // no journal to redo it from and no seq to wait for: flushed above, done
                blocksWritten.addAndGet(op.blockCount);
                durableNow.add(op);
            } else if (op.isHostIo()) {
                blocksWritten.addAndGet(op.blockCount);
                op.locallyDurableNanos = now;
                op.throughPeer = throughPeer;
                lastSeq = Math.max(lastSeq, op.seq);
                journaled.add(op);
            }
        }
        if (throughPeer) {
            // no local volume to wait for: the journal is released on the remote's ack alone
            flushNow = true;
        }
        long written;
        flushLock.lock();
        try {
            volumeWrittenSeq = Math.max(volumeWrittenSeq, lastSeq);
            written = volumeWrittenSeq;
            unflushedBytes += bytes;
            if (unflushedBytes >= VOLUME_FLUSH_BYTES) {
                flushWanted.signal();
            }
        } finally {
            flushLock.unlock();
        }
        if (flushNow) {
            volumeFlushed(written);
        }
        for (HostOp op : durableNow) {
            if (op.barrier) {
                op.done.complete(null);
            } else {
                complete(op);
            }
        }
        if (settings.ackMode() == AckMode.ASYNC && !throughPeer) {
            journaled.forEach(this::complete);
        } else {
            awaitRemote(journaled);
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
                    String what = "local volume " + volume.describe() + " flush: " + e.getMessage();
                    if (enterDegraded(what, e)) {
                        // the journal holds these records and the remote gets them; the local
                        // volume is out of the picture until it is replaced and resynced
                        volumeFlushed(target);
                    } else {
                        // Acknowledged writes are safe: the journal keeps them (not released) and
                        // redoes them on the next start. New writes are refused.
                        failFatally(what, e, List.of());
                    }
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
            volumeAdvanced.signalAll();
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
                compactIndex.acknowledged(seq);
                // the remote acknowledges again: writes waiting for it now are not late
                restored = syncDegraded.getAndSet(0) > 0;
            }
            releaseJournal();
            if (settings.ackMode().waitsForRemote() || failover != null) { // degraded writes wait in any mode
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
                HostOp op = awaitingRemote.poll();
                if (op.throughPeer) { // degraded: without the remote's ack the write exists in the journal only
                    fail(op, failover.writeNotAcknowledged(op.seq));
                    continue;
                }
                complete(op);
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
                if (!volumeFlusher.isAlive() && closed) {
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
        remoteLock.lock();
        try {
            volumeAdvanced.signalAll(); // a collapse waiting for the volume gives up
        } finally {
            remoteLock.unlock();
        }
        for (HostOp op : ops) {
            if (op.barrier) {
                op.done.completeExceptionally(new IOException(fatalError, e));
            } else if (op.isHostIo()) {
                fail(op, new BlockDeviceException(Reason.IO_ERROR, fatalError, e));
            }
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

    /**
     * The kind of the last host write journalled (NORMAL or COMPACT); {@link #mode()} says where
     * the next one goes.
     */
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

    /** Host writes durable here and waiting for the remote's ACK (sync and verified mode). */
    int writesAwaitingRemote() {
        remoteLock.lock();
        try {
            return awaitingRemote.size();
        } finally {
            remoteLock.unlock();
        }
    }

    public boolean syncDegraded() {
        remoteLock.lock();
        try {
            return settings.ackMode().waitsForRemote() && syncDegraded.get() > 0 && !awaitingRemote.isEmpty();
        } finally {
            remoteLock.unlock();
        }
    }

    public String fatalError() {
        return fatalError;
    }

    /** While the local volume has failed and host I/O goes through the peer: the alert's message; else null. */
    public String degradedMessage() {
        VolumeFailover f = failover;
        return f == null ? null : f.alertMessage();
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
