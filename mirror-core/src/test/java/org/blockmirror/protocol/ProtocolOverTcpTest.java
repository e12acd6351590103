package org.blockmirror.protocol;

import org.blockmirror.testing.LogCapture;

import static org.blockmirror.protocol.WireTestSupport.BLOCK_SIZE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The codec and the error handler over real loopback TCP connections. */
@ExtendWith(ParanoidLeakDetection.class)
class ProtocolOverTcpTest {

    private static final UUID REMOTE_ID = new UUID(7, 7);

    private EventLoopGroup group;
    private Channel server;

    /** Minimal stand-in for the remote daemon: accepts the HELLO, ACKs every WRITE. */
    private static final class AckingRemote extends SimpleChannelInboundHandler<Message> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, Message msg) {
            if (msg instanceof Hello hello) {
                ctx.pipeline().get(FrameDecoder.class).expectBlockSize(hello.blockSize());
                ctx.writeAndFlush(new HelloOk(REMOTE_ID, 0, 1 << 20, hello.generation()));
            } else if (msg instanceof Write write) {
                boolean intact = write.dataCrcMatches();
                ctx.writeAndFlush(intact ? new Ack(write.seq())
                        : new Nak(write.seq(), NakStatus.CRC_MISMATCH, "data CRC32C mismatch"));
            }
            // SimpleChannelInboundHandler releases msg (and so a WRITE's data).
        }
    }

    /** Local side: everything received goes to a queue. */
    private static final class Collector extends SimpleChannelInboundHandler<Message> {
        final BlockingQueue<Message> received = new LinkedBlockingQueue<>();

        Collector() {
            super(false);
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, Message msg) {
            received.add(msg);
        }
    }

    @BeforeEach
    void startServer() throws InterruptedException {
        group = new NioEventLoopGroup(1);
        server = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new FrameDecoder(), new FrameEncoder(), new AckingRemote(),
                                ProtocolErrorHandler.forServer());
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
    }

    @AfterEach
    void stop() throws InterruptedException {
        server.close().sync();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }

    private Channel connect(Collector collector) throws InterruptedException {
        return new Bootstrap()
                .group(group)
                .channel(NioSocketChannel.class)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new FrameDecoder(FrameHeader.DEFAULT_MAX_PAYLOAD, BLOCK_SIZE),
                                new FrameEncoder(), collector, ProtocolErrorHandler.forClient());
                    }
                })
                .connect(server.localAddress()).sync().channel();
    }

    private static Message next(Collector c) throws InterruptedException {
        Message m = c.received.poll(5, TimeUnit.SECONDS);
        assertNotNull(m, "nothing received within 5 s");
        return m;
    }

    private static void handshakeAndOneWrite(Channel ch, Collector c, long seq) throws InterruptedException {
        ch.writeAndFlush(WireTestSupport.hello(0, 1));
        assertEquals(new HelloOk(REMOTE_ID, 0, 1 << 20, 5), next(c));
        ch.writeAndFlush(WireTestSupport.write(seq, 16));
        assertEquals(new Ack(seq), next(c));
    }

    @Test
    void garbageAfterAValidFrameClosesThatConnectionOnlyAndIsLogged() throws Exception {
        try (LogCapture log = new LogCapture(ProtocolErrorHandler.class)) {
            Collector badCollector = new Collector();
            Channel bad = connect(badCollector);
            handshakeAndOneWrite(bad, badCollector, 1);

            bad.writeAndFlush(Unpooled.copiedBuffer("GET / HTTP/1.1\r\n\r\n", StandardCharsets.US_ASCII));
            Message farewell = next(badCollector);
            assertEquals(new Goodbye(GoodbyeReason.PROTOCOL_ERROR,
                    "bad magic 0x47455420, expected 0x424d5750 (\"BMWP\")"), farewell);
            assertTrue(bad.closeFuture().await(5, TimeUnit.SECONDS), "server closed the connection");

            List<String> warnings = log.messages(Level.WARN);
            assertEquals(1, warnings.size(), warnings.toString());
            assertEquals("Protocol error from " + bad.localAddress()
                    + ", closing the connection: bad magic 0x47455420, expected 0x424d5750 (\"BMWP\")", warnings.get(0));

            // The server and a well-behaved connection are unaffected.
            assertTrue(server.isActive());
            Collector goodCollector = new Collector();
            Channel good = connect(goodCollector);
            handshakeAndOneWrite(good, goodCollector, 2);
            good.writeAndFlush(WireTestSupport.write(3, 1));
            good.writeAndFlush(Write.trim(4, 0, 0, 8));
            assertEquals(new Ack(3), next(goodCollector));
            assertEquals(new Ack(4), next(goodCollector));
            assertTrue(good.isActive());
            good.close().sync();
            assertEquals(1, log.messages(Level.WARN).size(), "no further warnings");
        }
    }

    @Test
    void aPeerOfAnotherVersionGetsHelloRejectOverTcp() throws Exception {
        Collector collector = new Collector();
        Channel ch = connect(collector);
        ch.writeAndFlush(WireTestSupport.rawFrame(FrameHeader.MAGIC, 3, FrameType.HELLO.code(), 0, new byte[80]));
        Message reply = next(collector);
        HelloReject reject = assertInstanceOf(HelloReject.class, reply);
        assertEquals(RejectReason.VERSION_MISMATCH, reject.reason());
        assertTrue(ch.closeFuture().await(5, TimeUnit.SECONDS));
    }
}
