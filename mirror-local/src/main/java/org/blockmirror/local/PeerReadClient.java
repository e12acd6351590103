package org.blockmirror.local;

import io.netty.channel.Channel;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.blockmirror.protocol.Read;
import org.blockmirror.protocol.ReadData;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads blocks from the remote copy over the replication session (READ / READ_DATA,
 * docs/wire-protocol.md §4.11–4.12): the local unit's reads while its own volume has failed,
 * and the copy onto a replacement volume.
 *
 * <p>Each READ names the seq the answer must reflect; the remote answers once it has applied it
 * (or NOT_IN_SYNC after the wait). A read larger than one frame travels as several READs. A read
 * fails — never returns other data — when there is no session, the connection closes, the remote
 * refuses, the data's CRC32C does not match, or no answer comes.
 */
final class PeerReadClient {

    /** The replicator's side: a connection of the current admitted session, or null if there is none. */
    @FunctionalInterface
    interface Sessions {
        Channel readChannel(long hint);
    }

    /** A read through the peer that could not be served; the message says why. */
    static final class PeerReadException extends IOException {
        PeerReadException(String message) {
            super(message);
        }
    }

    private static final Logger log = LoggerFactory.getLogger(PeerReadClient.class);

    private record Pending(CompletableFuture<Void> done, ByteBuffer dst, Channel channel, long lba, int blocks) {
    }

    private final Sessions sessions;
    private final int blockSize;
    private final int maxBlocksPerRead;
    private final int waitMillis;
    private final AtomicLong nextId = new AtomicLong();
    private final Map<Long, Pending> pending = new ConcurrentHashMap<>();
    private final Set<Channel> watched = ConcurrentHashMap.newKeySet();
    private final AtomicLong blocksRead = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();

    /**
     * @param maxReadBytes largest answer asked for in one READ (the remote's frame limit bounds it)
     * @param waitMillis how long the remote may wait to reach the seq to see; the local unit waits
     *     that long plus a margin for the answer
     */
    PeerReadClient(Sessions sessions, int blockSize, int maxReadBytes, int waitMillis) {
        this.sessions = sessions;
        this.blockSize = blockSize;
        this.maxBlocksPerRead = Math.max(1, maxReadBytes / blockSize);
        this.waitMillis = waitMillis;
    }

    /**
     * Reads {@code blocks} blocks at {@code lba} as the remote holds them once it has applied
     * every record up to {@code seeSeq}. Fails with a {@link PeerReadException}.
     */
    CompletableFuture<ByteBuffer> read(long lba, int blocks, long seeSeq) {
        ByteBuffer all = ByteBuffer.allocate(blocks * blockSize);
        List<CompletableFuture<Void>> parts = new ArrayList<>();
        for (int done = 0; done < blocks; done += maxBlocksPerRead) {
            int n = Math.min(maxBlocksPerRead, blocks - done);
            parts.add(request(lba + done, n, seeSeq, all.slice(done * blockSize, n * blockSize)));
        }
        return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new)).thenApply(v -> all);
    }

    private CompletableFuture<Void> request(long lba, int blocks, long seeSeq, ByteBuffer dst) {
        long id = nextId.incrementAndGet();
        Channel channel = sessions.readChannel(id);
        if (channel == null || !channel.isActive()) {
            failures.incrementAndGet();
            return CompletableFuture.failedFuture(new PeerReadException("no session with the remote"));
        }
        Pending p = new Pending(new CompletableFuture<>(), dst, channel, lba, blocks);
        pending.put(id, p);
        if (watched.add(channel)) {
            channel.closeFuture().addListener(f -> {
                watched.remove(channel);
                failAll(channel, "the connection to the remote closed");
            });
        }
        channel.writeAndFlush(new Read(id, seeSeq, lba, blocks, waitMillis)).addListener(f -> {
            if (!f.isSuccess()) {
                fail(id, "sending the READ failed: " + f.cause());
            }
        });
        if (!channel.isActive()) { // closed before the listener was in place
            fail(id, "the connection to the remote closed");
        }
        long limit = waitMillis + 2_000L;
        return p.done.orTimeout(limit, TimeUnit.MILLISECONDS).whenComplete((v, e) -> {
            pending.remove(id);
            if (e != null) {
                failures.incrementAndGet();
            }
        }).exceptionallyCompose(e -> {
            Throwable c = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
            return CompletableFuture.failedFuture(c instanceof TimeoutException
                    ? new PeerReadException("no answer from the remote within " + limit + " ms") : c);
        });
    }

    /** An answer from the remote (on a Netty event loop; the caller releases {@code answer} afterwards). */
    void onReadData(ReadData answer) {
        Pending p = pending.remove(answer.requestId());
        if (p == null) {
            log.debug("ignoring READ_DATA for request {}, which is not pending (timed out?)", answer.requestId());
            return;
        }
        String where = p.blocks + " blocks at " + p.lba;
        switch (answer.status()) {
            case OK -> {
                int length = answer.content().readableBytes();
                if (length != p.dst.remaining()) {
                    p.done.completeExceptionally(new PeerReadException("the remote answered the read of " + where
                            + " with " + length + " bytes, " + p.dst.remaining() + " expected"));
                } else if (!answer.dataCrcMatches()) {
                    p.done.completeExceptionally(new PeerReadException("the remote's data for " + where
                            + " does not match its CRC32C (damaged on the way)"));
                } else {
                    answer.content().getBytes(answer.content().readerIndex(), p.dst.duplicate());
                    blocksRead.addAndGet(p.blocks);
                    p.done.complete(null);
                }
            }
            case NOT_IN_SYNC -> p.done.completeExceptionally(new PeerReadException("the remote copy is not in sync:"
                    + " it has applied seq " + answer.appliedSeq() + " and did not catch up within " + waitMillis + " ms"));
            default -> p.done.completeExceptionally(new PeerReadException("the remote refused the read of " + where
                    + ": " + answer.status()));
        }
    }

    private void failAll(Channel channel, String why) {
        for (Map.Entry<Long, Pending> e : pending.entrySet()) {
            if (e.getValue().channel == channel) {
                fail(e.getKey(), why);
            }
        }
    }

    private void fail(long id, String why) {
        Pending p = pending.remove(id);
        if (p != null) {
            p.done.completeExceptionally(new PeerReadException(why));
        }
    }

    long blocksRead() {
        return blocksRead.get();
    }

    long failures() {
        return failures.get();
    }
}
