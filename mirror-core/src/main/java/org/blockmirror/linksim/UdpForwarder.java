package org.blockmirror.linksim;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.nio.NioDatagramChannel;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicLong;

/** Forwards datagrams to one target; drops them while the link is cut. */
final class UdpForwarder {

    private final EventLoopGroup group;
    private final InetSocketAddress target;
    private final LinkSimulator link;
    private final AtomicLong dropped = new AtomicLong();
    private Channel channel;

    UdpForwarder(EventLoopGroup group, InetSocketAddress target, LinkSimulator link) {
        this.group = group;
        this.target = target.isUnresolved() ? new InetSocketAddress(target.getHostString(), target.getPort()) : target;
        this.link = link;
    }

    InetSocketAddress start() throws InterruptedException {
        channel = new Bootstrap().group(group).channel(NioDatagramChannel.class)
                .handler(new SimpleChannelInboundHandler<DatagramPacket>() {
                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
                        if (link.isCut()) {
                            dropped.incrementAndGet();
                            return;
                        }
                        ctx.writeAndFlush(new DatagramPacket(packet.content().retain(), target));
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
        return (InetSocketAddress) channel.localAddress();
    }

    long dropped() {
        return dropped.get();
    }

    void close() {
        if (channel != null) {
            channel.close().syncUninterruptibly();
        }
    }
}
