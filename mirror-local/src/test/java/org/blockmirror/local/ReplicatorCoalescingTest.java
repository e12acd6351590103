package org.blockmirror.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.blockmirror.heartbeat.ConnectionArray;
import org.blockmirror.heartbeat.LinkState;
import org.blockmirror.journal.Journal;
import org.blockmirror.journal.JournalOptions;
import org.blockmirror.protocol.Ack;
import org.blockmirror.protocol.FrameHeader;
import org.blockmirror.protocol.Write;
import org.blockmirror.time.MonotonicClock;
import org.blockmirror.volume.FileVolume;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * transport.send-coalesce-us: a record after an idle spell goes at once unless the last burst
 * left less than the window ago; then it waits for the window's end, and what was written
 * meanwhile goes with it. A real journal, write pipeline and replicator (async mode)
 * talk to a scripted remote on a plain socket.
 */
class ReplicatorCoalescingTest {

    private static final int BS = 4096;
    private static final long BLOCKS = 64;
    private static final long TIMEOUT_MS = 10_000;
    private static final long WINDOW_MS = 1000;

    @TempDir
    Path dir;

    private FileVolume volume;
    private Journal journal;
    private WritePipeline pipeline;
    private EventLoopGroup group;
    private Replicator replicator;
    private ServerSocket server;

    private void start(long coalesceMicros) throws IOException {
        volume = FileVolume.createFile(dir.resolve("local.vol"), BLOCKS * BS, BS);
        journal = Journal.format(dir.resolve("journal"), 4L << 20, JournalOptions.of(BS).withMaxRecordDataBytes(4 * BS),
                MonotonicClock.system());
        pipeline = new WritePipeline(volume, journal, MonotonicClock.system(),
                new WritePipeline.Settings(AckMode.ASYNC, 1000, 60_000, 4 * BS, 1 << 20));
        pipeline.start();
        server = new ServerSocket(0, 5, InetAddress.getLoopbackAddress());
        group = new NioEventLoopGroup(1);
        ConnectionArray connections = new ConnectionArray(1, MonotonicClock.system());
        replicator = new Replicator(journal, pipeline,
                new Replicator.Settings(new InetSocketAddress("127.0.0.1", server.getLocalPort()), 1, 1L << 20,
                        60_000, 5_000, FrameHeader.DEFAULT_MAX_PAYLOAD, coalesceMicros),
                new Replicator.Identity(new UUID(1, 2), "v", BLOCKS * BS, BS, AckMode.ASYNC.wire()),
                group, () -> 0xC0A1L, connections);
        replicator.start();
        connections.onTransition(LinkState.STARTING, LinkState.UP, "test");
        replicator.onTransition(LinkState.STARTING, LinkState.UP, "test");
    }

    @AfterEach
    void stop() throws Exception {
        replicator.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        server.close();
        pipeline.close();
        journal.close();
        volume.close();
    }

    private static ByteBuffer block(int fill) {
        ByteBuffer b = ByteBuffer.allocate(BS);
        while (b.hasRemaining()) {
            b.put((byte) fill);
        }
        return b.flip();
    }

    private ScriptedRemote connect() throws IOException, InterruptedException {
        ScriptedRemote remote = new ScriptedRemote(server, org.blockmirror.protocol.AckMode.ASYNC, BS, TIMEOUT_MS);
        remote.handshake();
        // a write that is durable before the stream starts is replayed, not coalesced
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MS);
        while (replicator.phase() != Replicator.Phase.STREAMING) {
            assertTrue(System.nanoTime() < deadline, "the session does not stream: " + replicator.phase());
            Thread.sleep(5);
        }
        Thread.sleep(50); // and it waits for the next record
        return remote;
    }

    @Test
    void aSparseWriteGoesAtOnceAndWritesWithinTheWindowOfTheLastBurstTravelTogetherAtItsEnd() throws Exception {
        start(TimeUnit.MILLISECONDS.toMicros(WINDOW_MS));
        try (ScriptedRemote remote = connect()) {
            long firstSubmitted = System.nanoTime();
            pipeline.write(1, block(1)).get(TIMEOUT_MS, TimeUnit.MILLISECONDS); // the host does not wait
            Write first = assertInstanceOf(Write.class, remote.receive(), "the first write of a quiet stream");
            long firstArrived = System.nanoTime();
            assertEquals(1, first.seq());
            first.release();
            long firstMs = TimeUnit.NANOSECONDS.toMillis(firstArrived - firstSubmitted);
            assertTrue(firstMs < WINDOW_MS / 2, "seq 1 came after " + firstMs + " ms: it waited for a burst");

            pipeline.write(2, block(2)).get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
            Thread.sleep(WINDOW_MS / 5);
            pipeline.write(3, block(3)).get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
            Write second = assertInstanceOf(Write.class, remote.receive());
            long secondArrived = System.nanoTime();
            Write third = assertInstanceOf(Write.class, remote.receive());
            long thirdArrived = System.nanoTime();
            assertEquals(2, second.seq());
            assertEquals(3, third.seq());
            second.release();
            third.release();
            // seq 1's burst left after it was submitted: seq 2 may not leave before that plus the window
            long heldMs = TimeUnit.NANOSECONDS.toMillis(secondArrived - firstSubmitted);
            assertTrue(heldMs >= WINDOW_MS, "seq 2 came " + heldMs + " ms after seq 1 was written, within the window");
            long apartMs = TimeUnit.NANOSECONDS.toMillis(thirdArrived - secondArrived);
            assertTrue(apartMs < WINDOW_MS / 2, "seq 3 came " + apartMs + " ms after seq 2, not in its burst");

            remote.send(new Ack(3));
            awaitAcked(3);
        }
    }

    private void awaitAcked(long seq) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MS);
        while (replicator.ackedSeq() < seq) {
            assertTrue(System.nanoTime() < deadline, "seq " + seq + " was not taken as acknowledged");
            Thread.sleep(5);
        }
    }
}
