package org.blockmirror.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;
import org.blockmirror.heartbeat.ConnectionArray;
import org.blockmirror.heartbeat.LinkState;
import org.blockmirror.journal.Journal;
import org.blockmirror.journal.JournalOptions;
import org.blockmirror.protocol.Ack;
import org.blockmirror.protocol.FrameDecoder;
import org.blockmirror.protocol.FrameEncoder;
import org.blockmirror.protocol.FrameHeader;
import org.blockmirror.protocol.Hello;
import org.blockmirror.protocol.HelloOk;
import org.blockmirror.protocol.Message;
import org.blockmirror.protocol.Verdict;
import org.blockmirror.protocol.Verify;
import org.blockmirror.protocol.VerifyReply;
import org.blockmirror.protocol.Write;
import org.blockmirror.time.MonotonicClock;
import org.blockmirror.volume.FileVolume;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The local unit's side of the verified ack mode, frame by frame: a real journal, write pipeline
 * and replicator talk to a scripted remote on a plain socket (frames made by the protocol's own
 * codec), which checks exactly what the local unit answers to VERIFY and what it resends.
 */
class ReplicatorVerifiedModeTest {

    private static final int BS = 4096;
    private static final long BLOCKS = 64;
    private static final long TIMEOUT_MS = 5_000;

    @TempDir
    Path dir;

    private FileVolume volume;
    private Journal journal;
    private WritePipeline pipeline;
    private EventLoopGroup group;
    private Replicator replicator;
    private ServerSocket server;

    @BeforeEach
    void start() throws IOException {
        volume = FileVolume.createFile(dir.resolve("local.vol"), BLOCKS * BS, BS);
        journal = Journal.format(dir.resolve("journal"), 4L << 20, JournalOptions.of(BS).withMaxRecordDataBytes(4 * BS),
                MonotonicClock.system());
        pipeline = new WritePipeline(volume, journal, MonotonicClock.system(),
                new WritePipeline.Settings(AckMode.VERIFIED, 1000, 60_000, 4 * BS, 1 << 20));
        pipeline.start();
        server = new ServerSocket(0, 5, InetAddress.getLoopbackAddress());
        group = new NioEventLoopGroup(1);
        ConnectionArray connections = new ConnectionArray(1, MonotonicClock.system());
        // a long back-off: after a session ends, the test looks at it before any retry
        replicator = new Replicator(journal, pipeline,
                new Replicator.Settings(new InetSocketAddress("127.0.0.1", server.getLocalPort()), 1, 1L << 20,
                        60_000, 5_000, FrameHeader.DEFAULT_MAX_PAYLOAD),
                new Replicator.Identity(new UUID(1, 2), "v", BLOCKS * BS, BS, AckMode.VERIFIED.wire()),
                group, () -> 0x5E55L, connections);
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

    private static ByteBuffer data(long seed) {
        byte[] b = new byte[BS];
        new Random(seed).nextBytes(b);
        return ByteBuffer.wrap(b);
    }

    private static int crc(ByteBuffer data) {
        CRC32C c = new CRC32C();
        c.update(data.duplicate());
        return (int) c.getValue();
    }

    @Test
    void aWrongCrcIsAnsweredNakAndTheRecordIsResentOnTheSameConnection() throws Exception {
        try (ScriptedRemote remote = new ScriptedRemote(server, org.blockmirror.protocol.AckMode.VERIFIED, BS, TIMEOUT_MS)) {
            assertEquals(org.blockmirror.protocol.AckMode.VERIFIED, remote.handshake().ackMode());
            ByteBuffer data = data(1);
            int good = crc(data);
            CompletableFuture<Void> host = pipeline.write(5, data.duplicate());

            Write first = assertInstanceOf(Write.class, remote.receive());
            assertEquals(1, first.seq());
            first.release();
            remote.send(new Verify(1, good ^ 0x100)); // "the data I received has another CRC"
            assertEquals(new VerifyReply(1, Verdict.NAK, good ^ 0x100, good), remote.receive());
            Write resent = assertInstanceOf(Write.class, remote.receive(), "the rejected record comes again");
            assertEquals(1, resent.seq());
            assertEquals(5, resent.lba());
            assertEquals(good, resent.dataCrc32c());
            assertTrue(resent.dataCrcMatches());
            resent.release();

            Thread.sleep(100);
            assertFalse(host.isDone(), "the host waits for the remote in verified mode");
            remote.send(new Verify(1, good));
            assertEquals(VerifyReply.judge(1, good, good), remote.receive());
            remote.send(new Ack(1));
            host.get(TIMEOUT_MS, TimeUnit.MILLISECONDS);

            assertEquals(1, replicator.verified());
            assertEquals(1, replicator.verifyMismatches());
            assertEquals(1, replicator.resends());
            assertEquals(1, replicator.sessionsOpened(), "resent within the session");
            assertEquals(1, replicator.ackedSeq());
        }
    }

    @Test
    void aVerifyForASeqNotInFlightEndsTheSessionWithAClearError() throws Exception {
        try (ScriptedRemote remote = new ScriptedRemote(server, org.blockmirror.protocol.AckMode.VERIFIED, BS, TIMEOUT_MS)) {
            remote.handshake();
            pipeline.write(0, data(2));
            Write w = assertInstanceOf(Write.class, remote.receive());
            w.release();
            remote.send(new Verify(99, 0));
            assertNull(remote.receive(), "the local unit closed the connection");
            assertEquals("remote sent VERIFY for seq 99, which is not in flight", replicator.lastError());
            assertEquals(0, replicator.verified() + replicator.verifyMismatches());
        }
    }

    @Test
    void aVerifyReplyFromTheRemoteClosesTheConnection() throws Exception {
        try (ScriptedRemote remote = new ScriptedRemote(server, org.blockmirror.protocol.AckMode.VERIFIED, BS, TIMEOUT_MS)) {
            remote.handshake();
            remote.send(VerifyReply.judge(1, 3, 3)); // VERIFY_REPLY travels local → remote only
            assertNull(remote.receive(), "the local unit closed the connection");
        }
    }
}
