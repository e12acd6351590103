package org.blockmirror.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.blockmirror.alert.AlertCenter;
import org.blockmirror.alert.AlertListener;
import org.blockmirror.dirtymap.DirtyMap;
import org.blockmirror.protocol.AckMode;
import org.blockmirror.protocol.ChecksumDiff;
import org.blockmirror.protocol.FrameDecoder;
import org.blockmirror.protocol.FrameEncoder;
import org.blockmirror.protocol.FrameHeader;
import org.blockmirror.protocol.Hello;
import org.blockmirror.protocol.HelloOk;
import org.blockmirror.protocol.Message;
import org.blockmirror.protocol.RangeSums;
import org.blockmirror.protocol.RemirrorBegin;
import org.blockmirror.protocol.RemirrorKind;
import org.blockmirror.protocol.RemirrorReady;
import org.blockmirror.protocol.RemoteSyncState;
import org.blockmirror.time.MonotonicClock;
import org.blockmirror.volume.FileVolume;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A remote that answers the remirror exchange wrongly (a real socket, a scripted peer): the
 * remirror stops with a message saying what was wrong, and every chunk it had taken is dirty
 * again.
 */
class RemirrorSourceErrorTest {

    private static final int BS = 4096;

    @TempDir
    Path dir;
    private final EventLoopGroup group = new NioEventLoopGroup(1);
    private Channel server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close().syncUninterruptibly();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** A remote that answers HELLO and REMIRROR_BEGIN properly and every other frame with {@code script}. */
    private InetSocketAddress remote(BiConsumer<ChannelHandlerContext, Message> script) {
        server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new FrameDecoder(FrameHeader.DEFAULT_MAX_PAYLOAD, BS), new FrameEncoder(),
                                new SimpleChannelInboundHandler<Message>() {
                                    @Override
                                    protected void channelRead0(ChannelHandlerContext ctx, Message m) {
                                        if (m instanceof Hello) {
                                            ctx.writeAndFlush(new HelloOk(new UUID(1, 1), 0, 1 << 20, 0,
                                                    RemoteSyncState.CONSISTENT));
                                        } else if (m instanceof RemirrorBegin) {
                                            ctx.writeAndFlush(new RemirrorReady(RemoteSyncState.CONSISTENT, 0));
                                        } else {
                                            script.accept(ctx, m);
                                        }
                                    }
                                });
                    }
                }).bind(new InetSocketAddress("127.0.0.1", 0)).syncUninterruptibly().channel();
        return (InetSocketAddress) server.localAddress();
    }

    private IOException remirrorAgainst(InetSocketAddress remote) throws Exception {
        long bytes = 1L << 20;
        try (FileVolume volume = FileVolume.createFile(dir.resolve("local.vol"), bytes, BS);
             DirtyMap map = DirtyMap.openOrCreate(dir.resolve("map"), BS, bytes / BS, 16);
             RemirrorSource source = new RemirrorSource(new OfflineDirtyTracking(map, volume, 1), volume,
                     new AlertCenter("local", "v", MonotonicClock.system(), AlertListener.NONE),
                     MonotonicClock.system(), new RemirrorSource.Settings(4, 1 << 20, 2_000, 1 << 20));
             RemirrorClient client = RemirrorClient.connect(group, remote,
                     new Replicator.Identity(new UUID(2, 2), "v", bytes, BS, AckMode.ASYNC), 1,
                     FrameHeader.DEFAULT_MAX_PAYLOAD, 5_000)) {
            map.markAll();
            IOException e = assertThrows(IOException.class, () -> source.run(client.link(), RemirrorKind.RESYNC));
            assertEquals(16, map.dirtyChunks(), "every chunk is dirty again");
            return e;
        }
    }

    @Test
    void anAnswerToNothingSentStopsTheRemirror() throws Exception {
        IOException e = remirrorAgainst(remote((ctx, m) -> {
            if (m instanceof RangeSums) {
                ctx.writeAndFlush(ChecksumDiff.ranges(999, 1, new BitSet()));
            }
        }));
        assertEquals("remirror: RANGE_DIFF tag 999 with 1 entries answers no RANGE_SUMS sent", e.getMessage());
    }

    @Test
    void anUnexpectedFrameStopsTheRemirror() throws Exception {
        IOException e = remirrorAgainst(remote((ctx, m) -> ctx.writeAndFlush(
                new RemirrorReady(RemoteSyncState.CONSISTENT, 0))));
        assertEquals("remirror: unexpected REMIRROR_READY from the remote", e.getMessage());
    }

    @Test
    void aSilentRemoteStopsTheRemirrorAfterTheAnswerTimeout() throws Exception {
        IOException e = remirrorAgainst(remote((ctx, m) -> { }));
        assertEquals("remirror: the remote has not answered for 2000 ms with 16 chunks in flight", e.getMessage());
    }

    @Test
    void aRemoteThatClosesStopsTheRemirror() throws Exception {
        IOException e = remirrorAgainst(remote((ctx, m) -> ctx.close()));
        assertEquals("remirror interrupted: the connection to the remote closed", e.getMessage());
    }
}
