package org.blockmirror.remote;

import io.netty.channel.Channel;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32C;
import org.blockmirror.protocol.BlockSums;
import org.blockmirror.protocol.ChecksumDiff;
import org.blockmirror.protocol.ChecksumRange;
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
import org.blockmirror.volume.Volume;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The remote's side of a remirror: answers checksum questions by reading its volume, writes the
 * blocks that differ, and keeps the copy's {@link ConsistencyState}.
 *
 * <p>One thread handles the frames of the exchange in the order they arrived, so a checksum
 * asked after a write sees that write, and the answers of one connection keep their order
 * except that data is acknowledged in groups: REMIRROR_DATA frames are written as they come, and
 * one fdatasync (when the queue is empty or 8 MiB are unsynced) acknowledges all of them (group
 * commit, as the applier does). BEGIN and DONE sync first.
 *
 * <p>Before the first block is written to a consistent copy the {@code remirror.pre-hook} runs;
 * if it fails the remirror is refused ({@code HOOK_FAILED}) and nothing is written. Then the
 * copy is durably flagged inconsistent, and it stays so — across restarts — until
 * REMIRROR_DONE names the seq from which it is consistent and the applied seq reaches it.
 */
final class RemirrorTarget implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(RemirrorTarget.class);
    private static final long GROUP_BYTES = 8L << 20;
    private static final int READ_BUFFER = 1 << 20;

    private record Job(Message message, Channel channel) {
    }

    private record Written(long tag, Channel channel, long bytes) {
    }

    private final Volume volume;
    private final ConsistencyState consistency;
    private final Applier applier;
    private final PreInconsistencyHook hook;
    private final String volumeId;
    private final long maxQueuedBytes;
    private final LinkedBlockingDeque<Job> queue = new LinkedBlockingDeque<>();
    private final AtomicLong queuedBytes = new AtomicLong();
    private final Thread thread;
    private final ByteBuffer readBuffer;
    private final CRC32C crc = new CRC32C();
    private volatile boolean closed;

    // owned by the target thread; volatile where status reads them
    private Channel remirrorChannel;
    private final List<Written> unsynced = new ArrayList<>();
    private long unsyncedBytes;
    private volatile boolean active;
    private volatile RemirrorKind kind;
    private volatile String refusal;
    private volatile long chunksAnnounced;
    private final AtomicLong rangesCompared = new AtomicLong();
    private final AtomicLong rangesDiffering = new AtomicLong();
    private final AtomicLong blocksCompared = new AtomicLong();
    private final AtomicLong blocksDiffering = new AtomicLong();
    private final AtomicLong blocksWritten = new AtomicLong();
    private final AtomicLong bytesWritten = new AtomicLong();

    /**
     * @param maxQueuedBytes most REMIRROR_DATA bytes waiting to be written; a peer sending more is
     *     disconnected (the local unit keeps far less in flight)
     */
    RemirrorTarget(Volume volume, ConsistencyState consistency, Applier applier, PreInconsistencyHook hook,
                   String volumeId, long maxQueuedBytes) {
        this.volume = volume;
        this.consistency = consistency;
        this.applier = applier;
        this.hook = hook;
        this.volumeId = volumeId;
        this.maxQueuedBytes = maxQueuedBytes;
        this.readBuffer = ByteBuffer.allocateDirect(Math.max(volume.blockSize(), READ_BUFFER / volume.blockSize()
                * volume.blockSize()));
        this.thread = new Thread(this::run, "remirror-target");
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    RemoteSyncState syncState() {
        return consistency.state();
    }

    /** Why the current remirror was refused (the pre-hook failed), or null. */
    String refusal() {
        return refusal;
    }

    /** The applied seq moved: the copy may have become consistent. Called by the polling timer. */
    void appliedSeqMoved() {
        try {
            if (consistency.reached(applier.durableAppliedSeq())) {
                log.info("the copy is consistent again at applied seq {}", applier.durableAppliedSeq());
            }
        } catch (IOException e) {
            log.warn("cannot persist the consistent state: {}", e.getMessage());
        }
    }

    RemoteStatus.Remirror progress() {
        RemirrorKind k = kind;
        return new RemoteStatus.Remirror(consistency.state().name(), active, k == null ? null : k.name(), chunksAnnounced,
                rangesCompared.get(), rangesDiffering.get(), blocksCompared.get(), blocksDiffering.get(),
                blocksWritten.get(), bytesWritten.get(), refusal);
    }

    /**
     * Hands over a frame of the exchange, on the connection's event loop. Takes ownership of a
     * {@link RemirrorData}'s buffer.
     *
     * @return false if the peer exceeded the queue limit (close the connection)
     */
    boolean offer(Message message, Channel channel) {
        long bytes = message instanceof RemirrorData d ? d.content().readableBytes() : 0;
        if (closed || queuedBytes.get() + bytes > maxQueuedBytes) {
            if (message instanceof RemirrorData d) {
                d.release();
            }
            return closed;
        }
        queuedBytes.addAndGet(bytes);
        queue.add(new Job(message, channel));
        return true;
    }

    private void run() {
        while (!closed) {
            Job job;
            try {
                job = queue.poll(100, java.util.concurrent.TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                break;
            }
            if (job == null) {
                continue;
            }
            try {
                handle(job);
            } catch (InterruptedException e) {
                break;
            } catch (RuntimeException e) {
                log.error("remirror: unexpected error handling {}", job.message().frameType(), e);
                job.channel().close();
            }
            // checksum reads see unsynced writes (page cache): only idleness or the group size forces a sync
            if (!unsynced.isEmpty() && (queue.isEmpty() || unsyncedBytes >= GROUP_BYTES)) {
                syncAndAcknowledge();
            }
        }
        drain();
    }

    private void handle(Job job) throws InterruptedException {
        Message m = job.message();
        Channel ch = job.channel();
        if (m instanceof RemirrorData d) {
            queuedBytes.addAndGet(-d.content().readableBytes());
            try {
                write(d, ch);
            } finally {
                d.release();
            }
            return;
        }
        if (m instanceof RemirrorBegin b) {
            begin(b, ch);
        } else if (m instanceof RangeSums s) {
            ch.writeAndFlush(compareRanges(s), ch.voidPromise());
        } else if (m instanceof BlockSums s) {
            ch.writeAndFlush(compareBlocks(s), ch.voidPromise());
        } else if (m instanceof RemirrorDone d) {
            ch.writeAndFlush(done(d, ch), ch.voidPromise());
        } else {
            throw new IllegalArgumentException("not a frame the remote's remirror handles: " + m.frameType());
        }
    }

    private void begin(RemirrorBegin b, Channel ch) throws InterruptedException {
        syncAndAcknowledge();
        applier.quiesce(); // journal writes of an earlier session must not land over remirror data
        remirrorChannel = ch;
        active = true;
        kind = b.kind();
        refusal = null;
        chunksAnnounced = b.dirtyChunks();
        rangesCompared.set(0);
        rangesDiffering.set(0);
        blocksCompared.set(0);
        blocksDiffering.set(0);
        blocksWritten.set(0);
        bytesWritten.set(0);
        log.info("remirror ({}) started by {}: {} chunks ({} bytes) to compare; copy is {}", b.kind(),
                ch.remoteAddress(), b.dirtyChunks(), b.dirtyBytes(), consistency.state());
        ch.writeAndFlush(new RemirrorReady(consistency.state(), applier.durableAppliedSeq()), ch.voidPromise());
    }

    // ---- checksums ----

    private ChecksumDiff compareRanges(RangeSums s) {
        BitSet differing = new BitSet(s.ranges().size());
        for (int i = 0; i < s.ranges().size(); i++) {
            ChecksumRange r = s.ranges().get(i);
            Integer mine = rangeChecksum(r.lba(), r.blocks());
            if (mine == null || mine != r.crc()) {
                differing.set(i);
            }
        }
        rangesCompared.addAndGet(s.ranges().size());
        rangesDiffering.addAndGet(differing.cardinality());
        return ChecksumDiff.ranges(s.tag(), s.ranges().size(), differing);
    }

    private ChecksumDiff compareBlocks(BlockSums s) {
        BitSet differing = new BitSet(s.blocks());
        int[] mine = blockChecksums(s.lba(), s.blocks());
        for (int i = 0; i < s.blocks(); i++) {
            if (mine == null || mine[i] != s.crc(i)) {
                differing.set(i);
            }
        }
        blocksCompared.addAndGet(s.blocks());
        blocksDiffering.addAndGet(differing.cardinality());
        return ChecksumDiff.blocks(s.tag(), s.blocks(), differing);
    }

    private boolean inVolume(long lba, long blocks) {
        return lba >= 0 && blocks > 0 && lba <= volume.blockCount() && blocks <= volume.blockCount() - lba;
    }

    /**
     * The range checksum of blocks on this volume (CRC32C of the big-endian block CRC32Cs), read
     * in pieces; null if the range is outside the volume or cannot be read — then it "differs",
     * and the write that follows reports the real problem.
     */
    private Integer rangeChecksum(long lba, int blocks) {
        if (!inVolume(lba, blocks)) {
            return null;
        }
        CRC32C range = new CRC32C();
        byte[] be = new byte[4];
        boolean ok = forEachBlockCrc(lba, blocks, (i, blockCrc) -> {
            be[0] = (byte) (blockCrc >>> 24);
            be[1] = (byte) (blockCrc >>> 16);
            be[2] = (byte) (blockCrc >>> 8);
            be[3] = (byte) blockCrc;
            range.update(be, 0, 4);
        });
        return ok ? (int) range.getValue() : null;
    }

    private int[] blockChecksums(long lba, int blocks) {
        if (!inVolume(lba, blocks)) {
            return null;
        }
        int[] crcs = new int[blocks];
        return forEachBlockCrc(lba, blocks, (i, blockCrc) -> crcs[i] = blockCrc) ? crcs : null;
    }

    private interface BlockCrcSink {
        void accept(int index, int crc);
    }

    private boolean forEachBlockCrc(long lba, int blocks, BlockCrcSink sink) {
        int bs = volume.blockSize();
        int perRead = readBuffer.capacity() / bs;
        try {
            for (int done = 0; done < blocks; ) {
                int n = Math.min(perRead, blocks - done);
                readBuffer.clear().limit(n * bs);
                volume.read((lba + done) * bs, readBuffer);
                for (int i = 0; i < n; i++) {
                    readBuffer.limit((i + 1) * bs).position(i * bs);
                    crc.reset();
                    crc.update(readBuffer);
                    sink.accept(done + i, (int) crc.getValue());
                }
                done += n;
            }
            return true;
        } catch (IOException e) {
            log.warn("remirror: cannot read blocks {}+{} of {} to compare them: {}", lba, blocks, volume.describe(),
                    e.getMessage());
            return false;
        }
    }

    // ---- data ----

    private void write(RemirrorData d, Channel ch) throws InterruptedException {
        RemirrorStatus status = RemirrorStatus.OK;
        String why = "";
        if (!active || ch != remirrorChannel) {
            status = RemirrorStatus.NOT_REMIRRORING;
            why = "no REMIRROR_BEGIN on this connection";
        } else if (!inVolume(d.lba(), d.blockCount())) {
            status = RemirrorStatus.OUT_OF_RANGE;
            why = "blocks " + d.lba() + "+" + d.blockCount() + " are beyond the volume (" + volume.blockCount() + " blocks)";
        } else if (!d.dataCrcMatches()) {
            status = RemirrorStatus.CRC_MISMATCH;
            why = String.format("data CRC32C 0x%08x does not match 0x%08x sent", crc32c(d), d.dataCrc32c());
        } else if (refusal != null || !becomeInconsistent()) {
            status = refusal != null ? RemirrorStatus.HOOK_FAILED : RemirrorStatus.IO_ERROR;
            why = refusal != null ? refusal : "cannot persist the inconsistent flag";
        } else {
            try {
                volume.write(d.lba() * volume.blockSize(), d.content().nioBuffer());
            } catch (IOException e) {
                status = RemirrorStatus.IO_ERROR;
                why = "writing blocks " + d.lba() + "+" + d.blockCount() + " failed: " + e.getMessage();
            }
        }
        if (status != RemirrorStatus.OK) {
            if (status != RemirrorStatus.HOOK_FAILED) {
                log.warn("remirror: refusing data at blocks {}+{} ({}): {}", d.lba(), d.blockCount(), status, why);
            }
            syncAndAcknowledge(); // earlier data keeps its place in the answers
            ch.writeAndFlush(new RemirrorAck(d.tag(), status, cut(why)), ch.voidPromise());
            return;
        }
        blocksWritten.addAndGet(d.blockCount());
        bytesWritten.addAndGet(d.content().readableBytes());
        unsynced.add(new Written(d.tag(), ch, d.content().readableBytes()));
        unsyncedBytes += d.content().readableBytes();
    }

    private static int crc32c(RemirrorData d) {
        CRC32C c = new CRC32C();
        c.update(d.content().nioBuffer());
        return (int) c.getValue();
    }

    /**
     * Before the first write: run the pre-hook if the copy is consistent now, then persist the
     * inconsistent flag. False (and {@link #refusal} set if it was the hook) if the remirror may
     * not write.
     */
    private boolean becomeInconsistent() throws InterruptedException {
        RemoteSyncState before = consistency.state();
        if (before == RemoteSyncState.INCONSISTENT) {
            return true;
        }
        if (before == RemoteSyncState.CONSISTENT) {
            String failed = hook.run(volumeId, volume.describe(), applier.durableAppliedSeq(), before.name());
            if (failed != null) {
                refusal = "remirror refused: " + failed + "; nothing was written, the copy is still consistent";
                log.error(refusal);
                return false;
            }
        }
        try {
            consistency.markInconsistent();
        } catch (IOException e) {
            log.error("remirror: cannot persist the inconsistent flag: {}", e.getMessage());
            return false;
        }
        log.warn("remirror writes to the copy: it is inconsistent (not an ordered prefix of the local volume) "
                + "until the remirror ends");
        return true;
    }

    /**
     * A role decision made this copy a resync target (docs/roles.md §5.8): runs the pre-hook unless
     * the copy is inconsistent already, then persists the inconsistent flag, before the remirror
     * sends its first block. Unlike {@link #becomeInconsistent} the hook runs for a never-synced
     * copy too: a resync target holds data of its own, which the remirror overwrites.
     *
     * @return null, or why the resync may not start (nothing was written, the flag is unchanged)
     */
    String beginResync() throws InterruptedException {
        RemoteSyncState before = consistency.state();
        if (before == RemoteSyncState.INCONSISTENT) {
            return null;
        }
        String failed = hook.run(volumeId, volume.describe(), applier.durableAppliedSeq(), before.name());
        if (failed != null) {
            log.error("resync refused: {}", failed);
            return "the remirror pre-hook failed: " + failed + "; nothing was written";
        }
        try {
            consistency.markInconsistent();
        } catch (IOException e) {
            return "cannot persist the inconsistent flag: " + e.getMessage();
        }
        log.warn("resync by remirror: the copy is inconsistent until the remirror ends and the stream catches up");
        return null;
    }

    /** fdatasync, then acknowledge every write since the last one (or report the failure). */
    private void syncAndAcknowledge() {
        if (unsynced.isEmpty()) {
            return;
        }
        String failure = null;
        try {
            volume.flush();
        } catch (IOException e) {
            failure = "flush failed: " + e.getMessage();
            log.error("remirror: cannot make written blocks durable on {}: {}", volume.describe(), e.getMessage());
        }
        Set<Channel> channels = new LinkedHashSet<>();
        for (Written w : unsynced) {
            w.channel().write(failure == null ? RemirrorAck.ok(w.tag())
                    : new RemirrorAck(w.tag(), RemirrorStatus.IO_ERROR, cut(failure)), w.channel().voidPromise());
            channels.add(w.channel());
        }
        channels.forEach(Channel::flush);
        unsynced.clear();
        unsyncedBytes = 0;
    }

    // ---- the end ----

    private RemirrorDoneAck done(RemirrorDone d, Channel ch) {
        boolean wasFlushed = unsynced.isEmpty();
        syncAndAcknowledge();
        if (!active || ch != remirrorChannel) {
            return new RemirrorDoneAck(RemirrorStatus.NOT_REMIRRORING, consistency.state(), applier.durableAppliedSeq(),
                    "no REMIRROR_BEGIN on this connection");
        }
        try {
            if (!wasFlushed) {
                volume.flush();
            }
            applier.restartAt(d.resumeSeq());
            consistency.consistentAt(d.consistentAtSeq(), applier.durableAppliedSeq());
        } catch (IOException e) {
            log.error("remirror: cannot record its end (resume at seq {}): {}", d.resumeSeq(), e.getMessage());
            return new RemirrorDoneAck(RemirrorStatus.IO_ERROR, consistency.state(), applier.durableAppliedSeq(),
                    cut("cannot record the end of the remirror: " + e.getMessage()));
        }
        active = false;
        log.info("remirror finished: {} ranges compared ({} differing), {} blocks written; applied seq {}, copy {}",
                rangesCompared.get(), rangesDiffering.get(), blocksWritten.get(), applier.durableAppliedSeq(),
                consistency.state());
        return new RemirrorDoneAck(RemirrorStatus.OK, consistency.state(), applier.durableAppliedSeq(), "");
    }

    private static String cut(String s) {
        return s.length() > 900 ? s.substring(0, 900) : s;
    }

    private void drain() {
        for (Job j; (j = queue.poll()) != null; ) {
            if (j.message() instanceof RemirrorData d) {
                d.release();
            }
        }
    }

    @Override
    public void close() throws InterruptedException {
        closed = true; // not interrupt(): that would close the volume's FileChannel under the applier
        thread.join(10_000 + hook.timeoutMs());
        drain();
    }
}
