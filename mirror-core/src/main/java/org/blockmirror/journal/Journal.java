package org.blockmirror.journal;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.zip.CRC32C;
import org.blockmirror.time.MonotonicClock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The journal: an on-disk circular queue of host writes and trims, in arrival order, each with
 * a strictly consecutive sequence number. Format and recovery: docs/journal-format.md.
 *
 * <h2>Threads</h2>
 * {@link #append}, {@link #sync} and {@link #close} must come from ONE committer thread (the
 * daemon's write path); a second thread entering them concurrently gets an
 * {@link IllegalStateException}. {@link #release}, {@link #reader}, readers,
 * {@link #awaitDurable}, {@link #stats} and the seq getters may be called from any thread.
 * Disk writes (records and superblock checkpoints) are done by the committer only, without
 * holding the lock that release and readers take.
 *
 * <h2>Space</h2>
 * Space is freed by {@link #release} (the remote acknowledged), but reused only up to the
 * persisted tail: when an append lacks space, the committer first checkpoints the acknowledged
 * tail, then re-checks, then waits for releases until its deadline.
 */
public final class Journal implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Journal.class);

    /** Superblock copies first, then the record region. */
    static final long REGION_OFFSET = (long) Superblock.COPIES * Superblock.SIZE;
    /** The data of a TRIM record. */
    private static final ByteBuffer NO_DATA = ByteBuffer.allocate(0).asReadOnlyBuffer();
    /** A full journal clears its alert once usage drops below this fraction. */
    private static final double FULL_CLEAR_FRACTION = 0.9;
    /** Longest single wait for space, so an injected clock's deadline is noticed. */
    private static final long MAX_WAIT_SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

    private final Path path;
    private final JournalFile file;
    private final JournalOptions options;
    private final MonotonicClock clock;
    private final UUID journalId;
    private final long regionOffset;
    private final long regionSize;
    private final long epoch;
    private final RecoveryReport recoveryReport;
    /** Records from this seq on were appended by this instance (not recovered from an earlier run). */
    private final long firstAppendedSeq;

    // Committer-thread state.
    private final AtomicReference<Thread> committer = new AtomicReference<>();
    private final CommitBuffer commitBuffer;
    private Superblock superblock;
    private long lastCheckpointNanos;

    // Shared state, guarded by lock. Positions are logical: region offset = position % regionSize.
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition spaceFreed = lock.newCondition();
    private final Condition durableAdvanced = lock.newCondition();
    private final PositionIndex index;
    private long tailSeq;                 // oldest unacknowledged
    private long tailPosition;
    private long persistedTailSeq;        // as in the superblock on disk
    private long persistedTailPosition;
    private long headSeq;                 // next seq to assign (written by the committer under lock)
    private long headPosition;
    private long durableSeq;
    private boolean full;
    private IOException failure;
    private boolean closed;

    private Journal(Path path, JournalFile file, JournalOptions options, MonotonicClock clock, Superblock sb,
                    PositionIndex index, RecoveryScanner.Result scan, long previousEpoch) {
        this.path = path;
        this.file = file;
        this.options = options;
        this.clock = clock;
        this.superblock = sb;
        this.journalId = sb.journalId();
        this.regionOffset = sb.regionOffset();
        this.regionSize = sb.regionSize();
        this.epoch = sb.epoch();
        this.index = index;
        this.tailSeq = persistedTailSeq = sb.tailSeq();
        this.tailPosition = persistedTailPosition = sb.tailOffset();
        this.headSeq = scan.headSeq();
        this.headPosition = scan.headPosition();
        this.durableSeq = headSeq - 1;
        this.firstAppendedSeq = headSeq;
        this.commitBuffer = new CommitBuffer(options.commitBufferBytes(), regionOffset, regionSize);
        this.lastCheckpointNanos = clock.nanos();
        this.recoveryReport = new RecoveryReport(sb.tailSeq(), sb.tailOffset(), headSeq, headPosition % regionSize,
                scan.records(), headPosition - sb.tailOffset(), previousEpoch, epoch, scan.stopReason());
    }

    // ---------------------------------------------------------------- format / open

    /** {@link #format(Path, long, JournalOptions, MonotonicClock)} with the system clock. */
    public static Journal format(Path path, long sizeBytes, JournalOptions options) throws IOException {
        return format(path, sizeBytes, options, MonotonicClock.system());
    }

    /**
     * Creates a journal of {@code sizeBytes} at {@code path} and opens it. A missing path (or an
     * empty regular file) is created as a regular file: built under a temporary name
     * ({@code path + ".formatting"}) and renamed into place once its superblocks are durable, so
     * a crash while formatting never leaves a file at {@code path} that is not a journal. An
     * existing non-empty file or block device must already be at least that large and is never
     * extended. Any previous content is abandoned (records of an earlier journal carry another
     * UUID and are never mistaken for ours).
     */
    public static Journal format(Path path, long sizeBytes, JournalOptions options, MonotonicClock clock)
            throws IOException {
        long regionSize = (sizeBytes - REGION_OFFSET) / RecordHeader.SIZE * RecordHeader.SIZE;
        long minRegion = minRegionSize(options);
        if (regionSize < minRegion) {
            throw new JournalException("journal " + path + " is too small: " + sizeBytes + " bytes leave a region of "
                    + Math.max(regionSize, 0) + " bytes, at least " + minRegion + " needed (two records of "
                    + options.maxRecordDataBytes() + " data bytes, after " + REGION_OFFSET + " bytes of superblocks)");
        }
        if (Files.isDirectory(path)) {
            throw new JournalException("journal " + path + " is a directory, not a file or block device");
        }
        boolean create = Files.notExists(path) || (Files.isRegularFile(path) && Files.size(path) == 0);
        boolean exists = !create;
        Path target = create ? formattingPath(path) : path;
        UUID journalId = UUID.randomUUID();
        try (FileChannel ch = exists
                ? FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE)
                : FileChannel.open(target, StandardOpenOption.READ, StandardOpenOption.WRITE,
                StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING)) {
            if (exists) {
                long actual = ch.size();
                if (actual < sizeBytes) {
                    throw new JournalException("journal " + path + " is too small: it has " + actual + " bytes, "
                            + sizeBytes + " requested (an existing file or device is never extended)");
                }
            } else {
                ch.write(ByteBuffer.allocate(1), sizeBytes - 1);
            }
            Superblock sb = new Superblock(0, journalId, options.blockSize(), REGION_OFFSET, regionSize,
                    0, 1, 0, clock.wallMillis(), options.label());
            JournalFile jf = new JournalFile(target, ch, sizeBytes);
            jf.write(Superblock.copyOffset(0), sb.encode());
            Superblock second = sb.next(0, 1, 0, clock.wallMillis());
            jf.write(Superblock.copyOffset(second.checkpoint()), second.encode());
            jf.force();
        } catch (JournalException e) {
            throw e;
        } catch (IOException e) {
            throw new JournalException("cannot format journal " + path + ": " + e, e);
        }
        if (create) {
            try {
                Files.move(target, path, StandardCopyOption.ATOMIC_MOVE);
                syncDirectory(path);
            } catch (IOException e) {
                throw new JournalException("cannot format journal " + path + ": moving the formatted " + target
                        + " into place failed: " + e, e);
            }
        }
        log.info("formatted journal {}: {} bytes, region {} bytes, block size {}, label '{}', id {}",
                path, sizeBytes, regionSize, options.blockSize(), options.label(), journalId);
        return open(path, options, clock);
    }

    /** Where {@link #format} builds a new journal file before renaming it to {@code path}. */
    static Path formattingPath(Path path) {
        return path.resolveSibling(path.getFileName() + ".formatting");
    }

    /** Makes a rename in the directory of {@code path} durable. */
    private static void syncDirectory(Path path) throws IOException {
        Path dir = path.toAbsolutePath().getParent();
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        }
    }

    /**
     * Opens an existing journal and recovers it: picks the newest valid superblock copy, scans
     * from its tail checkpoint to find the head, then persists a new epoch (which also makes
     * everything recovered durable) before any record can be appended.
     */
    public static Journal open(Path path, JournalOptions options, MonotonicClock clock) throws IOException {
        Objects.requireNonNull(clock, "clock");
        JournalFile file = openFile(path);
        try {
            Superblock sb = SuperblockStore.read(file);
            checkCompatible(path, file, sb, options);
            long newEpoch = sb.epoch() + 1;
            PositionIndex index = new PositionIndex(sb.tailSeq());
            RecoveryScanner.Result scan = new RecoveryScanner(file, sb).scan(newEpoch, index);
            Superblock opened = SuperblockStore.writeBoth(file, sb.next(newEpoch, sb.tailSeq(), sb.tailOffset(), clock.wallMillis()));
            Journal journal = new Journal(path, file, options, clock, opened, index, scan, sb.epoch());
            log.info("opened journal {}: {}", path, journal.recoveryReport);
            return journal;
        } catch (IOException | RuntimeException e) {
            try {
                file.close();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    private static long minRegionSize(JournalOptions options) {
        // An empty journal must take a maximal record wherever the head is: with R >= 2L either
        // it fits before the region end or the PAD before it is at most R - L long.
        return 2 * JournalOptions.recordLength(options.maxRecordDataBytes());
    }

    private static JournalFile openFile(Path path) throws JournalException {
        if (!Files.exists(path)) {
            throw new JournalException("journal " + path + " does not exist (format it first)");
        }
        if (Files.isDirectory(path)) {
            throw new JournalException("journal " + path + " is a directory, not a file or block device");
        }
        FileChannel ch;
        try {
            ch = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (NoSuchFileException e) {
            throw new JournalException("journal " + path + " does not exist (format it first)", e);
        } catch (IOException e) {
            throw new JournalException("journal " + path + " cannot be opened for writing: " + e, e);
        }
        try {
            return new JournalFile(path, ch, ch.size());
        } catch (IOException e) {
            try {
                ch.close();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw new JournalException("journal " + path + ": cannot read its size: " + e, e);
        }
    }

    private static void checkCompatible(Path path, JournalFile file, Superblock sb, JournalOptions options)
            throws JournalException {
        if (sb.blockSize() != options.blockSize()) {
            throw new JournalException("journal " + path + " block size mismatch: formatted for " + sb.blockSize()
                    + "-byte blocks, the caller expects " + options.blockSize());
        }
        if (options.label() != null && !options.label().equals(sb.label())) {
            throw new JournalException("journal " + path + " label mismatch: it belongs to '" + sb.label()
                    + "', the caller expects '" + options.label() + "'");
        }
        long regionEnd = sb.regionOffset() + sb.regionSize();
        if (regionEnd > file.size()) {
            throw new JournalException("journal " + path + " is truncated: its region ends at byte " + regionEnd
                    + " but the file has " + file.size() + " bytes");
        }
        long minRegion = minRegionSize(options);
        if (sb.regionSize() < minRegion) {
            throw new JournalException("journal " + path + " is too small for records of "
                    + options.maxRecordDataBytes() + " data bytes: region " + sb.regionSize() + " bytes, at least "
                    + minRegion + " needed");
        }
    }

    // ---------------------------------------------------------------- committer: append / sync

    /**
     * Buffers one record; it becomes durable and visible to readers at the next {@link #sync()}.
     * Committer thread only.
     *
     * @param type          WRITE (with data of exactly blockCount * blockSize bytes), TRIM or COMPACT
     *                      (data null); PRESERVED records go through {@link #appendPreserved}
     * @param dataOrNull    read from its position to its limit; neither is changed
     * @param deadlineNanos on the injected clock: how long to wait for space if the journal is full
     * @return the record's seq
     * @throws JournalFullException if no space was freed before the deadline (nothing appended)
     */
    public long append(RecordType type, long lba, int blockCount, ByteBuffer dataOrNull, long deadlineNanos)
            throws IOException {
        if (type == RecordType.PRESERVED) {
            throw new IllegalArgumentException("journal " + path + ": append a PRESERVED record with appendPreserved");
        }
        return appendRecord(type, lba, blockCount, dataOrNull, 0, deadlineNanos);
    }

    /**
     * Buffers a PRESERVED record: the content of {@code blockCount} blocks at {@code lba} as
     * COMPACT record {@code compactSeq} left them, saved before a newer write overwrites them on
     * the volume (copy-on-overwrite). Committer thread only; otherwise as {@link #append}.
     *
     * @param compactSeq an earlier seq (the COMPACT record the blocks belong to)
     */
    public long appendPreserved(long compactSeq, long lba, int blockCount, ByteBuffer data, long deadlineNanos)
            throws IOException {
        if (compactSeq < 1 || compactSeq >= nextSeq()) {
            throw new IllegalArgumentException("journal " + path + ": a PRESERVED record must refer to an earlier seq,"
                    + " not " + compactSeq + " (next seq " + nextSeq() + ")");
        }
        return appendRecord(RecordType.PRESERVED, lba, blockCount, data, compactSeq, deadlineNanos);
    }

    private long appendRecord(RecordType type, long lba, int blockCount, ByteBuffer dataOrNull, long preservedSeq,
                              long deadlineNanos) throws IOException {
        int dataLength = checkRecord(type, lba, blockCount, dataOrNull);
        enterCommitter();
        try {
            checkUsable();
            long length = JournalOptions.recordLength(dataLength);
            if (commitBuffer.remaining() < RecordHeader.SIZE + length) {
                writeOutBuffer();
            }
            long recordPosition = reserve(length, deadlineNanos);
            long seq = headSeq;
            long now = clock.wallMillis();
            int dataCrc = 0;
            if (dataOrNull != null) {
                CRC32C crc = new CRC32C();
                crc.update(dataOrNull.duplicate());
                dataCrc = (int) crc.getValue();
            }
            if (recordPosition != headPosition) {
                // The record does not fit before the region end: mark the rest as filler.
                new RecordHeader(RecordType.PAD, seq, epoch, now, 0, 0, 0, 0, 0)
                        .encode(commitBuffer.claim(headPosition, RecordHeader.SIZE), journalId);
            }
            ByteBuffer dst = commitBuffer.claim(recordPosition, (int) length);
            new RecordHeader(type, seq, epoch, now, lba, blockCount, dataLength, dataCrc, preservedSeq)
                    .encode(dst, journalId);
            if (dataOrNull != null) {
                dst.put(dataOrNull.duplicate());
            }
            lock.lock();
            try {
                index.add(seq, recordPosition);
                headSeq = seq + 1;
                headPosition = recordPosition + length;
            } finally {
                lock.unlock();
            }
            return seq;
        } finally {
            exitCommitter();
        }
    }

    /**
     * Writes every buffered record (one positional write, two at the wrap), forces it to stable
     * storage, and makes it visible to readers; then checkpoints the tail if the policy says so.
     * Committer thread only.
     *
     * @return the durable seq (the last record synced; 0 if none ever)
     */
    public long sync() throws IOException {
        enterCommitter();
        try {
            return syncInternal();
        } finally {
            exitCommitter();
        }
    }

    private long syncInternal() throws IOException {
        checkUsable();
        long target = headSeq - 1;
        if (target > durableSeq) {
            try {
                commitBuffer.writeTo(file);
                file.force();
            } catch (IOException e) {
                throw fail("sync", e);
            }
            lock.lock();
            try {
                durableSeq = target;
                durableAdvanced.signalAll();
            } finally {
                lock.unlock();
            }
        }
        if (checkpointDue()) {
            writeCheckpoint();
        }
        return target;
    }

    private int checkRecord(RecordType type, long lba, int blockCount, ByteBuffer data) {
        Objects.requireNonNull(type, "type");
        if (lba < 0 || blockCount <= 0) {
            throw new IllegalArgumentException("journal " + path + ": bad extent lba " + lba + " blocks " + blockCount);
        }
        switch (type) {
            case WRITE, PRESERVED -> {
                if (data == null) {
                    throw new IllegalArgumentException("journal " + path + ": a " + type + " record needs data");
                }
                long expected = (long) blockCount * options.blockSize();
                if (data.remaining() != expected) {
                    throw new IllegalArgumentException("journal " + path + ": " + type + " of " + blockCount
                            + " blocks of " + options.blockSize() + " bytes carries " + data.remaining() + " bytes");
                }
                if (expected > options.maxRecordDataBytes()) {
                    throw new IllegalArgumentException("journal " + path + ": " + type + " of " + expected
                            + " bytes exceeds the record limit of " + options.maxRecordDataBytes() + " bytes");
                }
                return (int) expected;
            }
            case TRIM, COMPACT -> {
                if (data != null) {
                    throw new IllegalArgumentException("journal " + path + ": a " + type + " record carries no data");
                }
                return 0;
            }
            default -> throw new IllegalArgumentException("journal " + path + ": cannot append a " + type + " record");
        }
    }

    /**
     * Finds room for a record of {@code length} bytes at the head (after a PAD if it would cross
     * the region end), checkpointing the acknowledged tail or waiting for releases if needed.
     *
     * @return the logical position of the record
     */
    private long reserve(long length, long deadlineNanos) throws IOException {
        lock.lock();
        try {
            while (true) {
                checkUsable();
                long offset = headPosition % regionSize;
                long recordPosition = offset + length > regionSize ? headPosition + (regionSize - offset) : headPosition;
                long end = recordPosition + length;
                // Reuse only up to the persisted tail: recovery starts there, so it must stay intact.
                if (end - persistedTailPosition <= regionSize) {
                    updateFullFlag();
                    return recordPosition;
                }
                if (tailPosition > persistedTailPosition) {
                    lock.unlock();
                    try {
                        writeCheckpoint();
                    } finally {
                        lock.lock();
                    }
                    continue;
                }
                full = true;
                long remaining = deadlineNanos - clock.nanos();
                if (remaining <= 0) {
                    throw new JournalFullException("journal " + path + " is full: capacity " + regionSize
                            + " bytes, used " + (headPosition - persistedTailPosition) + " bytes, oldest unacknowledged seq "
                            + tailSeq + ", next seq " + headSeq + "; a record of " + length
                            + " bytes found no space before its deadline (the remote has not acknowledged enough)");
                }
                try {
                    spaceFreed.awaitNanos(Math.min(remaining, MAX_WAIT_SLICE_NANOS));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("journal " + path + ": interrupted while waiting for space");
                }
            }
        } finally {
            lock.unlock();
        }
    }

    private void writeOutBuffer() throws IOException {
        try {
            commitBuffer.writeTo(file);
        } catch (IOException e) {
            throw fail("write", e);
        }
    }

    private boolean checkpointDue() {
        lock.lock();
        try {
            if (tailSeq == persistedTailSeq) {
                return false;
            }
            return tailPosition - persistedTailPosition >= options.checkpointFraction() * regionSize
                    || clock.nanos() - lastCheckpointNanos >= options.checkpointIntervalNanos();
        } finally {
            lock.unlock();
        }
    }

    /** Persists the acknowledged tail in the next superblock copy. Committer thread, lock not held. */
    private void writeCheckpoint() throws IOException {
        long seq;
        long position;
        lock.lock();
        try {
            seq = tailSeq;
            position = tailPosition;
        } finally {
            lock.unlock();
        }
        if (seq != persistedTailSeq) {
            try {
                superblock = SuperblockStore.writeBoth(file, superblock.next(epoch, seq, position % regionSize, clock.wallMillis()));
            } catch (IOException e) {
                throw fail("tail checkpoint", e);
            }
            lock.lock();
            try {
                persistedTailSeq = seq;
                persistedTailPosition = position;
            } finally {
                lock.unlock();
            }
        }
        lastCheckpointNanos = clock.nanos();
    }

    /** Records a failed disk write: what reached the disk is unknown, so only reopening (recovery) may continue. */
    private JournalException fail(String what, IOException e) {
        commitBuffer.discard();
        lock.lock();
        try {
            if (failure == null) {
                failure = e;
            }
            spaceFreed.signalAll();
            durableAdvanced.signalAll();
        } finally {
            lock.unlock();
        }
        return new JournalException("journal " + path + ": " + what + " failed; the journal refuses writes until it is"
                + " reopened and recovered: " + e, e);
    }

    private void checkUsable() throws JournalException {
        lock.lock();
        try {
            if (closed) {
                throw new JournalException("journal " + path + " is closed");
            }
            if (failure != null) {
                throw new JournalException("journal " + path + " failed earlier (" + failure
                        + "); reopen it to recover", failure);
            }
        } finally {
            lock.unlock();
        }
    }

    private void enterCommitter() {
        Thread me = Thread.currentThread();
        if (!committer.compareAndSet(null, me)) {
            throw new IllegalStateException("journal " + path + ": append/sync/close called from " + me.getName()
                    + " while " + committer.get() + " is in one; they must come from one committer thread");
        }
    }

    private void exitCommitter() {
        committer.set(null);
    }

    /** Clears the full alert once acknowledged usage dropped below 90%. Lock held. */
    private void updateFullFlag() {
        if (full && headPosition - tailPosition < FULL_CLEAR_FRACTION * regionSize) {
            full = false;
        }
    }

    // ---------------------------------------------------------------- any thread: release / read / stats

    /**
     * The remote acknowledged every record up to and including {@code seqInclusive}. Frees the
     * space in memory; it becomes reusable once the committer checkpoints it. Older or repeated
     * acknowledgements are ignored.
     *
     * @throws IllegalArgumentException if {@code seqInclusive} was never synced
     */
    public void release(long seqInclusive) {
        lock.lock();
        try {
            if (closed || seqInclusive < tailSeq) {
                return;
            }
            if (seqInclusive > durableSeq) {
                throw new IllegalArgumentException("journal " + path + ": cannot release seq " + seqInclusive
                        + ", records are durable only up to seq " + durableSeq);
            }
            long newTail = seqInclusive + 1;
            tailPosition = newTail < headSeq ? index.positionOf(newTail) : headPosition;
            tailSeq = newTail;
            index.dropThrough(seqInclusive);
            updateFullFlag();
            spaceFreed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * A reader positioned at {@code fromSeq}, which must lie between the tail and the durable
     * head + 1. A remote that needs records below the tail cannot be served from the journal.
     */
    public JournalReader reader(long fromSeq) throws IOException {
        lock.lock();
        try {
            if (closed) {
                throw new JournalException("journal " + path + " is closed");
            }
            if (fromSeq < tailSeq) {
                throw new JournalException("journal " + path + " cannot be read from seq " + fromSeq
                        + ": records before seq " + tailSeq + " were released (the reader is behind the tail)");
            }
            if (fromSeq > durableSeq + 1) {
                throw new JournalException("journal " + path + " cannot be read from seq " + fromSeq
                        + ": the durable head is seq " + durableSeq);
            }
            return new JournalReader(this, fromSeq);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Reads and verifies record {@code seq}; null if it is not durable yet. See
     * {@link JournalReader#next(IntFunction)} for {@code dataBuffers}.
     */
    JournalRecord readRecord(long seq, ByteBuffer headerBytes, IntFunction<ByteBuffer> dataBuffers,
                             boolean trustOwnAppends) throws IOException {
        long position;
        lock.lock();
        try {
            if (closed) {
                throw new JournalException("journal " + path + " is closed");
            }
            if (seq > durableSeq) {
                return null;
            }
            if (seq < tailSeq) {
                throw new JournalException("journal " + path + ": record " + seq + " was released (tail is seq "
                        + tailSeq + "); the reader fell behind");
            }
            position = index.positionOf(seq);
        } finally {
            lock.unlock();
        }
        long fileOffset = regionOffset + position % regionSize;
        file.read(fileOffset, headerBytes.clear());
        RecordHeader h;
        try {
            h = RecordHeader.decode(headerBytes.flip(), journalId);
            h.checkShape(options.blockSize(), regionSize);
            if (h.seq() != seq || h.type() == RecordType.PAD) {
                throw new InvalidRecordException("found " + h.type() + " seq " + h.seq() + " instead");
            }
            if (position % regionSize + h.length() > regionSize) {
                throw new InvalidRecordException("its length " + h.length() + " crosses the region end");
            }
        } catch (InvalidRecordException e) {
            checkNotOverwritten(seq);
            throw new JournalCorruptionException(seq, "journal " + path + ": record seq " + seq + " at file offset "
                    + fileOffset + " is corrupt: " + e.getMessage());
        }
        ByteBuffer data = NO_DATA;
        if (h.dataLength() > 0) {
            data = dataBuffers.apply(h.dataLength());
            if (data.remaining() != h.dataLength()) {
                throw new IllegalArgumentException("a buffer for " + h.dataLength() + " bytes of record data has "
                        + data.remaining() + " bytes remaining");
            }
            int start = data.position();
            file.read(fileOffset + RecordHeader.SIZE, data);
            data.position(start);
            boolean verify = !trustOwnAppends || seq < firstAppendedSeq;
            int actual = verify ? crc32c(data) : h.dataCrc32c();
            if (actual != h.dataCrc32c()) {
                checkNotOverwritten(seq);
                throw new JournalCorruptionException(seq, "journal " + path + ": record seq " + seq + " at file offset "
                        + fileOffset + " is corrupt: data CRC32C " + Integer.toHexString(actual) + " but header says "
                        + Integer.toHexString(h.dataCrc32c()) + " (the disk returned other bytes than were written)");
            }
        }
        return new JournalRecord(seq, h.epoch(), h.timestampMillis(), h.type(), h.lba(), h.blockCount(),
                h.dataCrc32c(), h.dataLength(), data, fileOffset, h.preservedSeq());
    }

    private static int crc32c(ByteBuffer data) {
        CRC32C crc = new CRC32C();
        crc.update(data.duplicate());
        return (int) crc.getValue();
    }

    /** A record released and reused while it was being read is the reader's lag, not disk corruption. */
    private void checkNotOverwritten(long seq) throws JournalException {
        lock.lock();
        try {
            if (seq < persistedTailSeq) {
                throw new JournalException("journal " + path + ": record " + seq
                        + " was released and its space reused while being read; the reader fell behind");
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits until record {@code seq} is durable (readable), the timeout passes (real time), or the
     * journal is closed or failed.
     *
     * @return whether {@code seq} is durable
     */
    public boolean awaitDurable(long seq, long timeout, TimeUnit unit) throws InterruptedException {
        long nanos = unit.toNanos(timeout);
        lock.lock();
        try {
            while (durableSeq < seq && !closed && failure == null) {
                if (nanos <= 0) {
                    return false;
                }
                nanos = durableAdvanced.awaitNanos(nanos);
            }
            return durableSeq >= seq;
        } finally {
            lock.unlock();
        }
    }

    public JournalStats stats() {
        lock.lock();
        try {
            return new JournalStats(regionSize, headPosition - persistedTailPosition, headSeq - tailSeq, tailSeq,
                    persistedTailSeq, headSeq, durableSeq, full, epoch, headPosition - tailPosition);
        } finally {
            lock.unlock();
        }
    }

    /** Oldest unacknowledged seq. */
    public long tailSeq() {
        lock.lock();
        try {
            return tailSeq;
        } finally {
            lock.unlock();
        }
    }

    /** The seq the next append gets. */
    public long nextSeq() {
        lock.lock();
        try {
            return headSeq;
        } finally {
            lock.unlock();
        }
    }

    /** The last synced seq; 0 if none. */
    public long durableSeq() {
        lock.lock();
        try {
            return durableSeq;
        } finally {
            lock.unlock();
        }
    }

    public RecoveryReport recoveryReport() {
        return recoveryReport;
    }

    public long epoch() {
        return epoch;
    }

    public Path path() {
        return path;
    }

    /**
     * Syncs buffered records and checkpoints the tail (a clean shutdown re-sends nothing), then
     * closes the file. Call from the committer thread, or after it stopped. Correctness never
     * depends on this: a crash is recovered from the last checkpoint.
     */
    @Override
    public void close() throws IOException {
        lock.lock();
        try {
            if (closed) {
                return;
            }
        } finally {
            lock.unlock();
        }
        IOException error = null;
        enterCommitter();
        try {
            boolean healthy;
            lock.lock();
            try {
                healthy = failure == null;
            } finally {
                lock.unlock();
            }
            if (healthy) {
                syncInternal();
                writeCheckpoint();
            }
        } catch (IOException e) {
            error = e;
        } finally {
            lock.lock();
            try {
                closed = true;
                spaceFreed.signalAll();
                durableAdvanced.signalAll();
            } finally {
                lock.unlock();
            }
            exitCommitter();
            try {
                file.close();
            } catch (IOException e) {
                if (error == null) {
                    error = e;
                } else {
                    error.addSuppressed(e);
                }
            }
        }
        if (error != null) {
            throw error;
        }
    }

    @Override
    public String toString() {
        return "Journal[" + path + ", " + stats() + "]";
    }
}
