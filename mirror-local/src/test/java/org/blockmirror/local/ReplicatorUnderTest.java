package org.blockmirror.local;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.blockmirror.heartbeat.ConnectionArray;
import org.blockmirror.heartbeat.LinkState;
import org.blockmirror.journal.Journal;
import org.blockmirror.journal.JournalOptions;
import org.blockmirror.protocol.FrameHeader;
import org.blockmirror.time.MonotonicClock;
import org.blockmirror.volume.FileVolume;

/**
 * A local unit's write path on real files — volume, journal, {@link WritePipeline} — and its
 * {@link Replicator}, with the link up and one connection, to a remote the test scripts
 * ({@link #acceptRemote}) on a loopback server socket.
 */
final class ReplicatorUnderTest implements AutoCloseable {

    static final int BS = 4096;
    static final long BLOCKS = 64;

    final WritePipeline pipeline;
    final Replicator replicator;
    private final AckMode ackMode;
    private final FileVolume volume;
    private final Journal journal;
    private final ServerSocket server;
    private final EventLoopGroup group;

    private ReplicatorUnderTest(Path dir, AckMode ackMode, long sendCoalesceMicros, long sessionId) throws IOException {
        this.ackMode = ackMode;
        volume = FileVolume.createFile(dir.resolve("local.vol"), BLOCKS * BS, BS);
        journal = Journal.format(dir.resolve("journal"), 4L << 20, JournalOptions.of(BS).withMaxRecordDataBytes(4 * BS),
                MonotonicClock.system());
        pipeline = new WritePipeline(volume, journal, MonotonicClock.system(),
                new WritePipeline.Settings(ackMode, 1000, 60_000, 4 * BS, 1 << 20));
        pipeline.start();
        server = new ServerSocket(0, 5, InetAddress.getLoopbackAddress());
        group = new NioEventLoopGroup(1);
        ConnectionArray connections = new ConnectionArray(1, MonotonicClock.system());
        // a long back-off: after a session ends, the test looks at it before any retry
        replicator = new Replicator(journal, pipeline,
                new Replicator.Settings(new InetSocketAddress("127.0.0.1", server.getLocalPort()), 1, 1L << 20,
                        60_000, 5_000, FrameHeader.DEFAULT_MAX_PAYLOAD, sendCoalesceMicros),
                new Replicator.Identity(new UUID(1, 2), "v", BLOCKS * BS, BS, ackMode.wire()),
                group, () -> sessionId, connections);
        replicator.start();
        connections.onTransition(LinkState.STARTING, LinkState.UP, "test");
        replicator.onTransition(LinkState.STARTING, LinkState.UP, "test");
    }

    static ReplicatorUnderTest start(Path dir, AckMode ackMode, long sendCoalesceMicros, long sessionId)
            throws IOException {
        return new ReplicatorUnderTest(dir, ackMode, sendCoalesceMicros, sessionId);
    }

    /** Accepts the replicator's next connection (its HELLO must ask for this unit's ack mode). */
    ScriptedRemote acceptRemote(long timeoutMs) throws IOException {
        return new ScriptedRemote(server, ackMode.wire(), BS, timeoutMs);
    }

    @Override
    public void close() throws Exception {
        replicator.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        server.close();
        pipeline.close();
        journal.close();
        volume.close();
    }
}
