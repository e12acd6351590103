package org.blockmirror.remote;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import java.io.IOException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.blockmirror.protocol.Read;
import org.blockmirror.protocol.ReadData;
import org.blockmirror.protocol.ReadStatus;
import org.blockmirror.volume.Volume;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves the local unit's READs from the remote volume (fail-over, SPEC F12; docs/architecture.md
 * "Fail-over through the peer").
 *
 * <p>A READ names the seq the answer must reflect: the local unit's journal head when it asked.
 * The remote volume changes only by applying records in seq order, so once the applied seq has
 * reached it every write the local host may have been told about is on this volume; records
 * applied later are writes the host has not been answered for, which a concurrent read may or may
 * not see. If the applied seq does not get there within the READ's wait, the copy is not in sync
 * and the answer is NOT_IN_SYNC: the local unit then fails the host's read rather than return
 * stale data.
 *
 * <p>Reads run on their own small pool, never on an event loop (they wait and do disk I/O).
 */
final class PeerReadServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PeerReadServer.class);

    private final Volume volume;
    private final AppliedSequence applied;
    private final int maxDataBytes;
    private final ThreadPoolExecutor pool;
    private final AtomicLong served = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicBoolean announced = new AtomicBoolean();

    /**
     * @param maxPayloadBytes the largest frame payload the local unit accepts (transport.max-frame-bytes):
     *     larger answers are refused TOO_LARGE
     */
    PeerReadServer(Volume volume, AppliedSequence applied, int maxPayloadBytes) {
        this.volume = volume;
        this.applied = applied;
        this.maxDataBytes = maxPayloadBytes - ReadData.FIELDS_LENGTH;
        this.pool = new ThreadPoolExecutor(4, 4, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(1024), r -> {
            Thread t = new Thread(r, "remote-peer-read");
            t.setDaemon(true);
            return t;
        });
        pool.allowCoreThreadTimeOut(true);
    }

    /** Answers {@code read} on {@code channel}, later, from the pool. */
    void serve(Channel channel, Read read) {
        if (announced.compareAndSet(false, true)) {
            log.warn("local unit at {} reads through this copy (its own volume failed, or it is being replaced)",
                    channel.remoteAddress());
        }
        try {
            pool.execute(() -> channel.writeAndFlush(answer(read), channel.voidPromise()));
        } catch (RejectedExecutionException e) {
            channel.writeAndFlush(refuse(read, ReadStatus.NOT_READY, "too many reads queued, or shutting down"),
                    channel.voidPromise());
        }
    }

    /** A refusal for a READ the session may not make (e.g. not admitted by the role exchange). */
    ReadData refuse(Read read, ReadStatus status, String why) {
        refused.incrementAndGet();
        log.warn("refusing READ of {} blocks at {} ({}): {}", read.blockCount(), read.lba(), status, why);
        return ReadData.failed(read.requestId(), status, applied.get());
    }

    ReadData answer(Read r) {
        int bs = volume.blockSize();
        if (r.lba() > volume.blockCount() || r.blockCount() > volume.blockCount() - r.lba()) {
            return refuse(r, ReadStatus.OUT_OF_RANGE, "beyond the volume (" + volume.blockCount() + " blocks)");
        }
        if ((long) r.blockCount() * bs > maxDataBytes) {
            return refuse(r, ReadStatus.TOO_LARGE, (long) r.blockCount() * bs + " bytes exceed the frame limit of "
                    + maxDataBytes);
        }
        long now;
        try {
            now = applied.awaitAtLeast(r.seeSeq(), r.waitMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return refuse(r, ReadStatus.NOT_READY, "shutting down");
        }
        if (now < r.seeSeq()) {
            return refuse(r, ReadStatus.NOT_IN_SYNC, "applied seq " + now + " did not reach " + r.seeSeq()
                    + " within " + r.waitMillis() + " ms");
        }
        int length = r.blockCount() * bs;
        ByteBuf data = io.netty.buffer.Unpooled.directBuffer(length);
        try {
            volume.read(r.lba() * bs, data.nioBuffer(0, length));
            data.writerIndex(length);
        } catch (IOException e) {
            data.release();
            return refuse(r, ReadStatus.IO_ERROR, "reading " + volume.describe() + ": " + e.getMessage());
        }
        served.incrementAndGet();
        return ReadData.ok(r.requestId(), now, data);
    }

    long served() {
        return served.get();
    }

    long refused() {
        return refused.get();
    }

    @Override
    public void close() throws InterruptedException {
        pool.shutdownNow();
        pool.awaitTermination(5, TimeUnit.SECONDS);
    }
}
