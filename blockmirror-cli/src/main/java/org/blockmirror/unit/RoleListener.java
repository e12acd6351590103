package org.blockmirror.unit;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.blockmirror.protocol.FrameDecoder;
import org.blockmirror.protocol.FrameEncoder;
import org.blockmirror.protocol.Generations;
import org.blockmirror.protocol.Hello;
import org.blockmirror.protocol.HelloOk;
import org.blockmirror.protocol.HelloReject;
import org.blockmirror.protocol.Message;
import org.blockmirror.protocol.ProtocolErrorHandler;
import org.blockmirror.protocol.RejectReason;
import org.blockmirror.protocol.RoleReject;
import org.blockmirror.protocol.RoleRejectReason;
import org.blockmirror.protocol.RoleReverse;
import org.blockmirror.transport.NettyTransport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a <em>primary</em> unit answers on its {@code listen.address}. Only a unit that also believes
 * it is primary connects there (a secondary never opens sessions), so the answer to its GENERATIONS
 * is always a ROLE_REJECT — BOTH_PRIMARY, STALE_PRIMARY, SPLIT_BRAIN … — and the state this unit
 * sends with it lets the other primary fence itself. Without this listener two primaries (after a
 * {@code promote --force} while the link was cut) would each connect to a port nobody answers and
 * never learn of each other. WRITEs are never accepted here.
 */
final class RoleListener implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(RoleListener.class);

    private final EventLoopGroup group;
    private final Channel server;

    private RoleListener(EventLoopGroup group, Channel server) {
        this.group = group;
        this.server = server;
    }

    static RoleListener start(InetSocketAddress address, UUID unitId, String volumeId, VolumeRole role,
                              BooleanSupplier unacknowledgedWrites) throws IOException {
        NettyTransport transport = NettyTransport.preferred();
        EventLoopGroup group = transport.newGroup(1, null);
        InetSocketAddress bind = address.isUnresolved() ? new InetSocketAddress(address.getHostString(), address.getPort())
                : address;
        Channel server = new ServerBootstrap().group(group).channel(transport.serverSocketChannel())
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new FrameDecoder(), new FrameEncoder(),
                                new Handler(unitId, volumeId, role, unacknowledgedWrites),
                                ProtocolErrorHandler.forServer());
                    }
                }).bind(bind).awaitUninterruptibly().channel();
        if (!server.isActive()) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw new IOException("cannot listen on " + address + " (listen.address) for the role exchange");
        }
        return new RoleListener(group, server);
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private static final class Handler extends SimpleChannelInboundHandler<Message> {
        private final UUID unitId;
        private final String volumeId;
        private final VolumeRole role;
        private final BooleanSupplier unacknowledgedWrites;
        private boolean handshaken;

        Handler(UUID unitId, String volumeId, VolumeRole role, BooleanSupplier unacknowledgedWrites) {
            this.unitId = unitId;
            this.volumeId = volumeId;
            this.role = role;
            this.unacknowledgedWrites = unacknowledgedWrites;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, Message msg) {
            if (!handshaken && msg instanceof Hello h) {
                if (!volumeId.equals(h.volumeId())) {
                    ctx.writeAndFlush(new HelloReject(RejectReason.VOLUME_MISMATCH, "this unit serves volume '"
                            + volumeId + "', not '" + h.volumeId() + "'")).addListener(f -> ctx.close());
                    return;
                }
                handshaken = true;
                ctx.writeAndFlush(new HelloOk(unitId, 0, 1 << 20, 0));
            } else if (handshaken && msg instanceof Generations g) {
                RoleReject answer = role.answerAsPrimary(g, unacknowledgedWrites);
                log.warn("unit {} connected as primary too; refused: {} {}", ctx.channel().remoteAddress(),
                        answer.reason(), answer.message());
                ctx.writeAndFlush(answer);
            } else if (handshaken && msg instanceof RoleReverse) {
                ctx.writeAndFlush(new RoleReject(RoleRejectReason.REVERSE_REFUSED, role.state(),
                        "this unit is primary itself; it cannot take over"));
            } else {
                ctx.close();
            }
        }
    }
}
