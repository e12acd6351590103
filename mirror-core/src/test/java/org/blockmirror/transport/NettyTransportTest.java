package org.blockmirror.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.SocketChannel;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Each transport carries bytes over real loopback TCP and UDP sockets, with channels of its own kind. */
class NettyTransportTest {

    @Test
    void epollIsPreferredWhereItLoads() {
        assertEquals(Epoll.isAvailable() ? NettyTransport.EPOLL : NettyTransport.NIO, NettyTransport.preferred());
    }

    @ParameterizedTest
    @EnumSource(NettyTransport.class)
    void tcpEchoAndUdpDatagram(NettyTransport transport) throws Exception {
        assumeTrue(transport == NettyTransport.NIO || Epoll.isAvailable(), "native epoll does not load here");
        EventLoopGroup group = transport.newGroup(1, null);
        try {
            assertEquals(transport, NettyTransport.of(group));
            Channel server = new ServerBootstrap().group(group).channel(transport.serverSocketChannel())
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(new SimpleChannelInboundHandler<ByteBuf>() {
                                @Override
                                protected void channelRead0(ChannelHandlerContext ctx, ByteBuf msg) {
                                    ctx.writeAndFlush(msg.retain());
                                }
                            });
                        }
                    }).bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
            BlockingQueue<String> received = new ArrayBlockingQueue<>(16);
            Channel client = new Bootstrap().group(group).channel(NettyTransport.of(group).socketChannel())
                    .handler(new SimpleChannelInboundHandler<ByteBuf>() {
                        @Override
                        protected void channelRead0(ChannelHandlerContext ctx, ByteBuf msg) {
                            received.add(msg.toString(StandardCharsets.US_ASCII));
                        }
                    }).connect(server.localAddress()).sync().channel();
            client.writeAndFlush(Unpooled.copiedBuffer("ping", StandardCharsets.US_ASCII)).sync();
            assertEquals("ping", received.poll(10, TimeUnit.SECONDS));

            BlockingQueue<String> datagrams = new ArrayBlockingQueue<>(16);
            Channel udp = new Bootstrap().group(group).channel(transport.datagramChannel())
                    .handler(new SimpleChannelInboundHandler<DatagramPacket>() {
                        @Override
                        protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket p) {
                            datagrams.add(p.content().toString(StandardCharsets.US_ASCII));
                        }
                    }).bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
            udp.writeAndFlush(new DatagramPacket(Unpooled.copiedBuffer("beat", StandardCharsets.US_ASCII),
                    (InetSocketAddress) udp.localAddress())).sync();
            assertEquals("beat", datagrams.poll(10, TimeUnit.SECONDS));
            client.close().sync();
            udp.close().sync();
            server.close().sync();
        } finally {
            assertTrue(group.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(10, TimeUnit.SECONDS));
        }
    }
}
