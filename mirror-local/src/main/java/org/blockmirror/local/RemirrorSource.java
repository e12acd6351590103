package org.blockmirror.local;

import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32C;
import org.blockmirror.alert.AlertCenter;
import org.blockmirror.alert.AlertKind;
import org.blockmirror.dirtymap.DirtyMap;
import org.blockmirror.protocol.BlockSums;
import org.blockmirror.protocol.ChecksumDiff;
import org.blockmirror.protocol.ChecksumRange;
import org.blockmirror.protocol.FrameHeader;
import org.blockmirror.protocol.FrameType;
import org.blockmirror.protocol.Message;
import org.blockmirror.protocol.RangeSums;
import org.blockmirror.protocol.RemirrorAck;
import org.blockmirror.protocol.RemirrorBegin;
import org.blockmirror.protocol.RemirrorData;
import org.blockmirror.protocol.RemirrorDone;
import org.blockmirror.protocol.RemirrorDoneAck;
import org.blockmirror.protocol.RemirrorKind;
import org.blockmirror.protocol.RemirrorReady;
import org.blockmirror.protocol.RemirrorStatus;
import org.blockmirror.protocol.RemoteSyncState;
import org.blockmirror.remirror.BlockChecksums;
import org.blockmirror.time.MonotonicClock;
import org.blockmirror.volume.Volume;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The local side of a remirror (SPEC F8): makes the remote equal to the local volume for every
 * chunk marked in the dirty map, sending only blocks whose checksums differ, then hands the
 * remote back to the journal stream.
 *
 * <p>For each dirty chunk: record it durably as in flight, clear its mark, wait for host writes
 * in progress ({@link DirtyTracking#awaitVolumeWrites()}), read it and compute its block
 * CRC32Cs. Several chunks go in one RANGE_SUMS (one range per chunk); chunks whose range sum
 * differs get a BLOCK_SUMS; blocks that differ go as REMIRROR_DATA. All of this is pipelined on
 * one connection, up to {@link Settings#maxBytesInFlight()} of chunk data held at once, so the
 * link and both disks stay busy instead of waiting one round trip per chunk. A chunk is done when
 * the remote says it is equal or has acknowledged (durably) every block sent for it. A host write
 * to a chunk meanwhile marks it again and the pass after picks it up. When the map is empty and
 * nothing is in flight, {@link DirtyTracking#resumeJournaling()} switches host writes back to the
 * journal and REMIRROR_DONE tells the remote where the stream resumes.
 *
 * <p>Nothing is lost if the session breaks: chunks in flight are marked again; and because a
 * crash could make a cleared mark durable (the map writes whole pages) before the remote has the
 * chunk, chunks are first recorded in a second map ({@code <dirty map>.inflight}) that the next
 * run folds back into the dirty map.
 *
 * <p>One remirror at a time, on the replicator's thread.
 */
public final class RemirrorSource implements AutoCloseable {

    /**
     * @param rangesPerFrame   chunks per RANGE_SUMS frame
     * @param maxBytesInFlight chunk data read and not yet settled with the remote
     * @param answerTimeoutMs  no answer at all for this long (with requests outstanding) ends the remirror
     * @param maxDataBytes     largest REMIRROR_DATA payload (the remote's frame limit)
     */
    public record Settings(int rangesPerFrame, long maxBytesInFlight, long answerTimeoutMs, int maxDataBytes) {

        public static Settings defaults() {
            return new Settings(64, 32L << 20, 300_000, 4 << 20);
        }
    }

    /** What {@code status} shows while (and after) a remirror runs. */
    public record Progress(boolean active, String kind, long chunksTotal, long chunksDone, long chunksDiffering,
                           long blocksSent, long dataBytesSent, long checksumBytesSent,
                           long checksumBytesReceived, long passes) {
    }

    /**
     * What the replication session around a remirror provides: the link schedule, and where the
     * journal stream continues afterwards. The replicator's knows the journal and the remote's
     * applied seq; the default suits a volume without a journal or schedule.
     */
    public interface Session {

        /** No schedule, no journal: the stream continues at the seq journaling resumed at. */
        Session NONE = new Session() {
        };

        /**
         * Waits until the link schedule (send blackout windows, rate limit) lets
         * {@code dataBytes} of block data go now; 0 for a checksum frame, which only a blackout
         * holds back. Calls {@code beforeWaiting} (which sends what is written) before it waits.
         */
        default void pace(long dataBytes, Runnable beforeWaiting) throws InterruptedException {
        }

        /**
         * The map is empty and everything sent is settled, journaling is about to resume: journal
         * records older than bitmap-mode marks must not be replayed after the remirror (they
         * would overwrite newer blocks), so this may move them into the map.
         *
         * @return true if it marked chunks (remirror makes another pass)
         */
        default boolean prepareResume() throws IOException {
            return false;
        }

        /**
         * The seq the remote's stream continues at, given that journaling resumed at
         * {@code resumedAt}: the first journal record the remote lacks, or {@code resumedAt}.
         */
        default long streamFrom(long resumedAt) {
            return resumedAt;
        }
    }

    /**
     * The outcome of a finished remirror.
     *
     * @param resumeSeq       where the journal stream continues (REMIRROR_DONE's resume seq)
     * @param consistentAtSeq the remote is consistent once it has applied this seq
     */
    public record Result(long resumeSeq, long consistentAtSeq, RemoteSyncState remoteState, long chunksCompared, long chunksDiffering,
                         long blocksSent, long dataBytesSent, long checksumBytes, long millis) {
    }

    private static final Logger log = LoggerFactory.getLogger(RemirrorSource.class);
    private static final long POLL_MS = 100;
    /** Frames' worth of chunks recorded in flight with one fdatasync. */
    private static final int RESERVE_FRAMES = 8;

    private final DirtyTracking tracking;
    private final Volume volume;
    private final AlertCenter alerts;
    private final MonotonicClock clock;
    private final Settings settings;
    private final int blockSize;
    private DirtyMap inflightMap;
    /** Journaling already resumed at this seq for a REMIRROR_DONE the remote has not confirmed; -1: none. */
    private long unconfirmedResumedAt = -1;

    private volatile boolean active;
    private volatile RemirrorKind kind;
    private volatile long chunksTotal;
    private final AtomicLong chunksDone = new AtomicLong();
    private final AtomicLong chunksDiffering = new AtomicLong();
    private final AtomicLong blocksSent = new AtomicLong();
    private final AtomicLong dataBytesSent = new AtomicLong();
    private final AtomicLong checksumBytesSent = new AtomicLong();
    private final AtomicLong checksumBytesReceived = new AtomicLong();
    private final AtomicLong passes = new AtomicLong();

    /**
     * @param volume the local volume (read only here)
     * @param alerts where REMIRROR_STARTED / REMIRROR_FINISHED are reported
     */
    public RemirrorSource(DirtyTracking tracking, Volume volume, AlertCenter alerts, MonotonicClock clock,
                          Settings settings) {
        this.tracking = tracking;
        this.volume = volume;
        this.alerts = alerts;
        this.clock = clock;
        this.settings = settings;
        this.blockSize = volume.blockSize();
    }

    public Progress progress() {
        RemirrorKind k = kind;
        return new Progress(active, k == null ? null : k.name(), chunksTotal, chunksDone.get(), chunksDiffering.get(),
                blocksSent.get(), dataBytesSent.get(), checksumBytesSent.get(), checksumBytesReceived.get(),
                passes.get());
    }

    public boolean active() {
        return active;
    }

    /**
     * Runs a whole remirror on {@code link}: returns once the remote has confirmed REMIRROR_DONE,
     * with the seq the journal stream continues at.
     *
     * @throws IOException if the session breaks, the remote refuses (the message says why), or a
     *     disk fails; every chunk not settled is marked dirty again
     */
    public Result run(RemirrorLink link, RemirrorKind kind) throws IOException, InterruptedException {
        return run(link, kind, Session.NONE);
    }

    /** As {@link #run(RemirrorLink, RemirrorKind)}, sending as {@code session}'s schedule allows and continuing its journal stream. */
    public Result run(RemirrorLink link, RemirrorKind kind, Session session)
            throws IOException, InterruptedException {
        DirtyMap map = tracking.dirtyMap();
        foldInFlight(map);
        long started = clock.nanos();
        this.kind = kind;
        chunksTotal = map.dirtyChunks();
        for (AtomicLong a : List.of(chunksDone, chunksDiffering, blocksSent, dataBytesSent, checksumBytesSent,
                checksumBytesReceived, passes)) {
            a.set(0);
        }
        active = true;
        Exchange x = new Exchange(link, map, session);
        try {
            x.pace(0); // a blackout holds even the first frame back
            link.send(new RemirrorBegin(kind, chunksTotal, map.dirtyBlocks() * blockSize));
            link.flush();
            RemirrorReady ready = x.await(RemirrorReady.class);
            alerts.raise(AlertKind.REMIRROR_STARTED, kind + ": comparing " + chunksTotal + " chunks ("
                    + map.dirtyBlocks() * blockSize + " bytes) with the remote, which is " + ready.syncState());
            long resumedAt = x.settleEverything();
            long resumeSeq = session.streamFrom(resumedAt);
            link.send(new RemirrorDone(resumeSeq, resumedAt - 1));
            link.flush();
            RemirrorDoneAck done = x.await(RemirrorDoneAck.class);
            if (done.status() != RemirrorStatus.OK) {
                throw new IOException("the remote could not finish the remirror (" + done.status() + "): "
                        + done.message());
            }
            unconfirmedResumedAt = -1;
            long millis = TimeUnit.NANOSECONDS.toMillis(clock.nanos() - started);
            Result r = new Result(resumeSeq, resumedAt - 1, done.syncState(), chunksDone.get(), chunksDiffering.get(),
                    blocksSent.get(), dataBytesSent.get(), checksumBytesSent.get() + checksumBytesReceived.get(), millis);
            alerts.raise(AlertKind.REMIRROR_FINISHED, String.format(
                    "%s in %d ms: %d chunks compared, %d differed, %d blocks (%d bytes) sent, %d bytes of checksums;"
                            + " remote is %s, the journal stream resumes at seq %d", kind, millis, r.chunksCompared(),
                    r.chunksDiffering(), r.blocksSent(), r.dataBytesSent(), r.checksumBytes(), done.syncState(),
                    resumeSeq));
            return r;
        } finally {
            active = false;
            x.remarkUnsettled();
        }
    }

    /** Chunks a run that crashed had in flight may be cleared on disk already: mark them again. */
    private void foldInFlight(DirtyMap map) throws IOException {
        if (inflightMap == null) {
            Path p = map.path().resolveSibling(map.path().getFileName() + ".inflight");
            inflightMap = DirtyMap.openOrCreate(p, map.blockSize(), map.blockCount(), map.blocksPerChunk());
        }
        List<Long> chunks = new ArrayList<>();
        for (long c = inflightMap.nextDirtyChunk(0); c >= 0; c = inflightMap.nextDirtyChunk(c + 1)) {
            chunks.add(c);
        }
        if (chunks.isEmpty()) {
            return;
        }
        map.markChunks(chunks.stream().mapToLong(Long::longValue).toArray());
        chunks.forEach(inflightMap::clear);
        inflightMap.sync();
        log.info("remirror: {} chunk(s) were in flight when the last remirror stopped; marked dirty again", chunks.size());
    }

    @Override
    public void close() throws IOException {
        if (inflightMap != null) {
            inflightMap.close();
            inflightMap = null; // a later run opens it again
        }
    }

    /** A chunk read and not yet settled with the remote. */
    private static final class Chunk {
        final long index;
        final long lba;
        final int blocks;
        final ByteBuffer data;
        final int[] crcs;
        int acksPending;
        /** BLOCK_SUMS sent for it and not answered yet. */
        int answersPending;

        Chunk(long index, long lba, int blocks, ByteBuffer data, int[] crcs) {
            this.index = index;
            this.lba = lba;
            this.blocks = blocks;
            this.data = data;
            this.crcs = crcs;
        }
    }

    /** Blocks {@code [first, first + blocks)} of a chunk, asked about in one BLOCK_SUMS. */
    private record Piece(Chunk chunk, int first, int blocks) {
    }

    /** The state of one run: what is in flight and under which tags. */
    private final class Exchange {
        private final RemirrorLink link;
        private final DirtyMap map;
        private final Session session;
        private final Map<Long, Chunk> inFlight = new LinkedHashMap<>();
        /** Chunks recorded in the in-flight map and not settled yet (a superset of {@link #inFlight}). */
        private final java.util.Set<Long> reserved = new java.util.HashSet<>();
        private final Map<Long, List<Chunk>> rangeRequests = new HashMap<>();
        private final Map<Long, Piece> blockRequests = new HashMap<>();
        private final Map<Long, Chunk> dataRequests = new HashMap<>();
        private long heldBytes;
        private long nextTag = 1;
        private long scanFrom;
        private long lastAnswerNanos;

        Exchange(RemirrorLink link, DirtyMap map, Session session) {
            this.link = link;
            this.map = map;
            this.session = session;
        }

        <T extends Message> T await(Class<T> type) throws IOException, InterruptedException {
            long deadline = clock.nanos() + TimeUnit.MILLISECONDS.toNanos(settings.answerTimeoutMs());
            while (true) {
                checkOpen();
                Message m = link.poll(POLL_MS);
                if (m != null) {
                    if (!type.isInstance(m)) {
                        throw new IOException("remirror: expected " + type.getSimpleName() + " from the remote, got "
                                + m.frameType());
                    }
                    return type.cast(m);
                }
                if (clock.nanos() > deadline) {
                    throw new IOException("remirror: no " + type.getSimpleName() + " from the remote within "
                            + settings.answerTimeoutMs() + " ms");
                }
            }
        }

        private void checkOpen() throws IOException {
            if (!link.isOpen()) {
                throw new IOException("remirror interrupted: " + link.whyClosed());
            }
        }

        /** Compares and sends until the map is empty and journaling resumed; returns the seq it resumed at. */
        long settleEverything() throws IOException, InterruptedException {
            if (unconfirmedResumedAt > 0 && map.isEmpty()) {
                return unconfirmedResumedAt; // journaling resumed already; only the remote's DONE is missing
            }
            passes.incrementAndGet();
            lastAnswerNanos = clock.nanos();
            while (true) {
                checkOpen();
                startMore(); // while the remote computes, this side reads the next chunks
                link.flush();
                if (inFlight.isEmpty()) {
                    if (map.isEmpty() && !session.prepareResume()) {
                        map.sync(); // every clear is settled: let it reach the disk
                        inflightMap.sync();
                        OptionalLong resume = tracking.resumeJournaling();
                        if (resume.isPresent()) {
                            unconfirmedResumedAt = resume.getAsLong();
                            return resume.getAsLong();
                        }
                        if (map.isEmpty()) {
                            Thread.sleep(POLL_MS); // enqueueing is stopped: wait for the operator
                        }
                    }
                    passes.incrementAndGet();
                    continue;
                }
                Message m = link.poll(POLL_MS);
                if (m == null) {
                    if (clock.nanos() - lastAnswerNanos > TimeUnit.MILLISECONDS.toNanos(settings.answerTimeoutMs())) {
                        throw new IOException("remirror: the remote has not answered for " + settings.answerTimeoutMs()
                                + " ms with " + inFlight.size() + " chunks in flight");
                    }
                    continue;
                }
                lastAnswerNanos = clock.nanos();
                handle(m);
            }
        }

        // ---- starting chunks ----

        /** Starts whole frames' worth of chunks while there is room for one (small frames cost overhead). */
        private void startMore() throws IOException, InterruptedException {
            long frameBytes = (long) settings.rangesPerFrame() * map.blocksPerChunk() * blockSize;
            while (inFlight.isEmpty() || heldBytes + frameBytes <= Math.max(settings.maxBytesInFlight(), frameBytes)) {
                List<Long> batch = nextBatch();
                if (batch.isEmpty()) {
                    return;
                }
                start(batch);
            }
        }

        /** The next dirty chunks not in flight, at most a frame's worth and the room left; wraps around once. */
        private List<Long> nextBatch() {
            List<Long> batch = new ArrayList<>();
            long bytes = 0;
            boolean wrapped = false;
            while (batch.size() < settings.rangesPerFrame()
                    && heldBytes + bytes < settings.maxBytesInFlight()) {
                long c = map.nextDirtyChunk(scanFrom);
                if (c < 0) {
                    if (wrapped || scanFrom == 0) {
                        break;
                    }
                    scanFrom = 0;
                    wrapped = true;
                    continue;
                }
                scanFrom = c + 1;
                if (inFlight.containsKey(c) || batch.contains(c)) {
                    continue;
                }
                batch.add(c);
                bytes += (long) map.chunkBlocks(c) * blockSize;
            }
            return batch;
        }

        private void start(List<Long> batch) throws IOException, InterruptedException {
            long[] chunks = batch.stream().mapToLong(Long::longValue).toArray();
            reserve(chunks); // durable before any clear can be
            for (long c : chunks) {
                map.clear(c);
            }
            tracking.awaitVolumeWrites(); // a write that marked before the clear is on the volume now
            List<ChecksumRange> ranges = new ArrayList<>(chunks.length);
            List<Chunk> read = new ArrayList<>(chunks.length);
            int i = 0;
            while (i < chunks.length) {
                int j = i + 1; // one read for a run of consecutive chunks
                while (j < chunks.length && chunks[j] == chunks[j - 1] + 1
                        && (long) (j - i + 1) * map.blocksPerChunk() * blockSize <= settings.maxDataBytes()) {
                    j++;
                }
                long firstLba = map.chunkFirstBlock(chunks[i]);
                long lastEnd = map.chunkFirstBlock(chunks[j - 1]) + map.chunkBlocks(chunks[j - 1]);
                // direct: read without a bounce buffer, CRC32C on it is fast from the first call,
                // and Netty sends it without another copy
                ByteBuffer run = ByteBuffer.allocateDirect((int) ((lastEnd - firstLba) * blockSize));
                volume.read(firstLba * blockSize, run);
                for (int k = i; k < j; k++) {
                    long c = chunks[k];
                    int off = (int) ((map.chunkFirstBlock(c) - firstLba) * blockSize);
                    ByteBuffer data = run.slice(off, map.chunkBlocks(c) * blockSize);
                    int[] crcs = BlockChecksums.ofBlocks(data, blockSize);
                    Chunk chunk = new Chunk(c, map.chunkFirstBlock(c), map.chunkBlocks(c), data, crcs);
                    read.add(chunk);
                    inFlight.put(c, chunk);
                    heldBytes += data.capacity();
                    ranges.add(new ChecksumRange(chunk.lba, chunk.blocks, BlockChecksums.ofRange(crcs)));
                }
                i = j;
            }
            long tag = nextTag++;
            rangeRequests.put(tag, read);
            pace(0);
            link.awaitWritable();
            link.send(new RangeSums(tag, ranges));
            checksumBytesSent.addAndGet(FrameHeader.LENGTH + 12 + 16L * ranges.size());
        }

        /** Waits for the schedule; what is written goes out first. Waiting is not the remote's silence. */
        private void pace(long dataBytes) throws InterruptedException {
            session.pace(dataBytes, link::flush);
            lastAnswerNanos = clock.nanos();
        }

        // ---- answers ----

        private void handle(Message m) throws IOException, InterruptedException {
            if (m instanceof ChecksumDiff d && d.frameType() == FrameType.RANGE_DIFF) {
                rangeDiff(d);
            } else if (m instanceof ChecksumDiff d) {
                blockDiff(d);
            } else if (m instanceof RemirrorAck a) {
                ack(a);
            } else {
                throw new IOException("remirror: unexpected " + m.frameType() + " from the remote");
            }
        }

        private void rangeDiff(ChecksumDiff d) throws IOException, InterruptedException {
            List<Chunk> chunks = rangeRequests.remove(d.tag());
            checksumBytesReceived.addAndGet(FrameHeader.LENGTH + 12 + (d.count() + 7) / 8);
            if (chunks == null || chunks.size() != d.count()) {
                throw new IOException("remirror: RANGE_DIFF tag " + d.tag() + " with " + d.count()
                        + " entries answers no RANGE_SUMS sent");
            }
            for (int i = 0; i < chunks.size(); i++) {
                Chunk c = chunks.get(i);
                if (!d.differs(i)) {
                    settled(c);
                    continue;
                }
                chunksDiffering.incrementAndGet();
                // one BLOCK_SUMS per 65536 blocks (only tiny blocks in huge chunks need more than one)
                for (int first = 0; first < c.blocks; first += RangeSums.MAX_RANGES) {
                    int n = Math.min(RangeSums.MAX_RANGES, c.blocks - first);
                    long tag = nextTag++;
                    blockRequests.put(tag, new Piece(c, first, n));
                    c.answersPending++;
                    pace(0);
                    link.awaitWritable();
                    link.send(new BlockSums(tag, c.lba + first, java.util.Arrays.copyOfRange(c.crcs, first, first + n)));
                    checksumBytesSent.addAndGet(FrameHeader.LENGTH + 20 + 4L * n);
                }
            }
        }

        private void blockDiff(ChecksumDiff d) throws IOException, InterruptedException {
            Piece piece = blockRequests.remove(d.tag());
            checksumBytesReceived.addAndGet(FrameHeader.LENGTH + 12 + (d.count() + 7) / 8);
            if (piece == null || piece.blocks() != d.count()) {
                throw new IOException("remirror: BLOCK_DIFF tag " + d.tag() + " with " + d.count()
                        + " entries answers no BLOCK_SUMS sent");
            }
            Chunk c = piece.chunk();
            c.answersPending--;
            int maxBlocks = Math.max(1, settings.maxDataBytes() / blockSize);
            for (int i = d.differing().nextSetBit(0); i >= 0; ) {
                int end = i + 1; // a run of consecutive differing blocks goes as one frame
                while (end < piece.blocks() && d.differs(end) && end - i < maxBlocks) {
                    end++;
                }
                int n = end - i;
                int b = piece.first() + i;
                ByteBuffer slice = c.data.slice(b * blockSize, n * blockSize);
                CRC32C crc = new CRC32C();
                crc.update(slice.duplicate());
                long tag = nextTag++;
                dataRequests.put(tag, c);
                c.acksPending++;
                pace((long) n * blockSize);
                link.awaitWritable();
                link.send(new RemirrorData(tag, c.lba + b, n, (int) crc.getValue(), Unpooled.wrappedBuffer(slice)));
                blocksSent.addAndGet(n);
                dataBytesSent.addAndGet((long) n * blockSize);
                i = d.differing().nextSetBit(end);
            }
            if (c.acksPending == 0 && c.answersPending == 0) {
                settled(c); // nothing (more) to send for it: the range sum differed, these blocks do not
            }
        }

        private void ack(RemirrorAck a) throws IOException {
            Chunk c = dataRequests.remove(a.tag());
            if (c == null) {
                throw new IOException("remirror: REMIRROR_ACK tag " + a.tag() + " answers no REMIRROR_DATA sent");
            }
            if (a.status() != RemirrorStatus.OK) {
                throw new IOException("the remote refused remirror data for blocks " + c.lba + "+" + c.blocks
                        + " (" + a.status() + "): " + a.message());
            }
            if (--c.acksPending == 0 && c.answersPending == 0) {
                settled(c);
            }
        }

        /**
         * Records chunks as in flight in the in-flight map, durably. One fdatasync covers several
         * frames: the dirty chunks that follow are recorded with these (they stay dirty in the
         * map until started, so a crash only makes the next run compare them, which it would).
         */
        private void reserve(long[] chunks) throws IOException {
            boolean all = true;
            for (long c : chunks) {
                all &= reserved.contains(c);
            }
            if (all) {
                return;
            }
            List<Long> ahead = new ArrayList<>();
            for (long c : chunks) {
                ahead.add(c);
            }
            int limit = RESERVE_FRAMES * settings.rangesPerFrame();
            for (long c = map.nextDirtyChunk(chunks[chunks.length - 1] + 1); c >= 0 && ahead.size() < limit;
                 c = map.nextDirtyChunk(c + 1)) {
                if (!inFlight.containsKey(c) && !reserved.contains(c)) {
                    ahead.add(c);
                }
            }
            inflightMap.markChunks(ahead.stream().mapToLong(Long::longValue).toArray());
            reserved.addAll(ahead);
        }

        /** The remote has chunk {@code c} (equal, or every block sent is durable there). */
        private void settled(Chunk c) {
            inFlight.remove(c.index);
            reserved.remove(c.index);
            inflightMap.clear(c.index);
            heldBytes -= c.data.capacity();
            chunksDone.incrementAndGet();
        }

        /** After a failure: whatever is not settled is marked dirty again (durably). */
        void remarkUnsettled() {
            if (inFlight.isEmpty()) {
                return;
            }
            long[] chunks = inFlight.keySet().stream().mapToLong(Long::longValue).toArray();
            try {
                map.markChunks(chunks);
                log.info("remirror stopped with {} chunk(s) in flight: marked dirty again", chunks.length);
            } catch (IOException e) {
                log.warn("remirror: cannot mark {} chunk(s) dirty again ({}); the in-flight map keeps them for the"
                        + " next remirror", chunks.length, e.getMessage());
            }
            inFlight.clear();
        }
    }
}
