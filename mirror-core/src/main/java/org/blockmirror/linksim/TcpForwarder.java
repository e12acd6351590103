package org.blockmirror.linksim;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Forwards each accepted connection to the target, one read at a time (the next read is asked
 * for only when the previous chunk was written), so a cut simply stops asking for reads.
 */
final class TcpForwarder {

    private final EventLoopGroup group;
    private final InetSocketAddress target;
    private final LinkSimulator link;
    private final Set<Pipe> pipes = ConcurrentHashMap.newKeySet();
    private Channel server;

    TcpForwarder(EventLoopGroup group, InetSocketAddress target, LinkSimulator link) {
        this.group = group;
        this.target = target.isUnresolved() ? new InetSocketAddress(target.getHostString(), target.getPort()) : target;
        this.link = link;
    }

    InetSocketAddress start() throws InterruptedException {
        server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childOption(ChannelOption.AUTO_READ, false)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        Pipe pipe = new Pipe(ch);
                        pipes.add(pipe);
                        ch.pipeline().addLast(pipe.inboundRelay);
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
        return (InetSocketAddress) server.localAddress();
    }

    int connections() {
        int n = 0;
        for (Pipe p : pipes) {
            if (p.client.isActive() && p.upstream != null && p.upstream.isActive()) {
                n++;
            }
        }
        return n;
    }

    void resume() {
        for (Pipe p : new ArrayList<>(pipes)) {
            p.client.eventLoop().execute(p::resume);
        }
    }

    void close() {
        if (server != null) {
            server.close().syncUninterruptibly();
        }
        for (Pipe p : pipes) {
            p.client.close();
            if (p.upstream != null) {
                p.upstream.close();
            }
        }
    }

    private record DelayedChunk(long dueNanos, ByteBuf data) {
    }

    /** One forwarded connection: client side and upstream side, both on one event loop. */
    private final class Pipe {
        final Channel client;
        Channel upstream;
        final Relay inboundRelay;
        Relay outboundRelay;

        Pipe(Channel client) {
            this.client = client;
            this.inboundRelay = new Relay(true);
        }

        void connectUpstream() {
            outboundRelay = new Relay(false);
            new Bootstrap().group(client.eventLoop()).channel(NioSocketChannel.class)
                    .option(ChannelOption.AUTO_READ, false)
                    .handler(outboundRelay)
                    .connect(target).addListener((ChannelFutureListener) f -> {
                        if (f.isSuccess()) {
                            upstream = f.channel();
                            resume();
                        } else {
                            client.close();
                        }
                    });
        }

        /** Asks both sides for data again, and passes on closes held back during a cut. */
        void resume() {
            if (link.isCut()) {
                return;
            }
            if (upstream == null) {
                return;
            }
            inboundRelay.resume();
            outboundRelay.resume();
        }

        /** Relays what one side reads to the other side. */
        final class Relay extends ChannelInboundHandlerAdapter {
            private final boolean fromClient;
            /** Data read but not yet passed on because the link is cut. */
            private final ArrayDeque<ByteBuf> held = new ArrayDeque<>();
            /** Data read but not yet due (the link's delay), oldest first. */
            private final ArrayDeque<DelayedChunk> delayed = new ArrayDeque<>();
            private boolean drainScheduled;
            private boolean closeAfterDelayed;
            private boolean closeHeld;
            private Channel self;

            Relay(boolean fromClient) {
                this.fromClient = fromClient;
            }

            Channel other() {
                return fromClient ? upstream : client;
            }

            @Override
            public void handlerAdded(ChannelHandlerContext ctx) {
                // not channelActive: a connect listener runs before channelActive fires
                self = ctx.channel();
            }

            @Override
            public void channelActive(ChannelHandlerContext ctx) {
                if (fromClient) {
                    connectUpstream();
                }
            }

            void resume() {
                if (self == null) {
                    return;
                }
                Channel other = other();
                while (!held.isEmpty()) {
                    ByteBuf b = held.poll();
                    if (other != null && other.isActive()) {
                        other.write(b);
                    } else {
                        b.release();
                    }
                }
                if (other != null) {
                    other.flush();
                }
                if (closeHeld) {
                    closeHeld = false;
                    closeAfterData();
                    return;
                }
                self.read();
            }

            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                Channel other = other();
                if (other == null || !other.isActive()) {
                    ReferenceCountUtil.release(msg);
                    return;
                }
                ByteBuf data = (ByteBuf) msg;
                long delay = link.nextDelayMillis();
                if (delay <= 0 && delayed.isEmpty()) {
                    deliver(ctx, other, data, true);
                    return;
                }
                // TCP keeps order within a connection: a chunk never overtakes an earlier one,
                // whatever delay it drew (and an undelayed one waits behind delayed ones)
                long due = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Math.max(0, delay));
                if (!delayed.isEmpty()) {
                    due = Math.max(due, delayed.peekLast().dueNanos());
                }
                delayed.add(new DelayedChunk(due, data));
                scheduleDrain(ctx, other);
                if (!link.isCut()) {
                    ctx.channel().read();
                }
            }

            /** One timer per relay, for the oldest delayed chunk; chunks leave strictly in arrival order. */
            private void scheduleDrain(ChannelHandlerContext ctx, Channel other) {
                if (drainScheduled || delayed.isEmpty()) {
                    return;
                }
                drainScheduled = true;
                long wait = Math.max(0, delayed.peek().dueNanos() - System.nanoTime());
                ctx.executor().schedule(() -> {
                    drainScheduled = false;
                    long now = System.nanoTime();
                    while (!delayed.isEmpty() && delayed.peek().dueNanos() <= now) {
                        deliver(ctx, other, delayed.poll().data(), false);
                    }
                    if (delayed.isEmpty() && closeAfterDelayed) {
                        closeAfterDelayed = false;
                        if (link.isCut()) {
                            closeHeld = true;
                        } else {
                            closeOther();
                        }
                    }
                    scheduleDrain(ctx, other);
                }, wait, TimeUnit.NANOSECONDS);
            }

            private void deliver(ChannelHandlerContext ctx, Channel other, ByteBuf data, boolean readNext) {
                if (link.isCut()) {
                    held.add(data); // passed on by resume(), which also asks for the next read
                    return;
                }
                other.writeAndFlush(data).addListener((ChannelFutureListener) f -> {
                    if (!f.isSuccess()) {
                        ctx.channel().close();
                    } else if (readNext && !link.isCut()) {
                        ctx.channel().read();
                    }
                });
            }

            @Override
            public void channelInactive(ChannelHandlerContext ctx) {
                if (link.isCut()) {
                    closeHeld = true; // a blackhole does not carry the FIN either
                } else {
                    closeAfterData();
                }
            }

            /** Passes the close on behind the data still delayed, as TCP sends the FIN after the data. */
            private void closeAfterData() {
                if (delayed.isEmpty()) {
                    closeOther();
                } else {
                    closeAfterDelayed = true;
                }
            }

            private void closeOther() {
                held.forEach(ByteBuf::release);
                held.clear();
                Channel other = other();
                if (other != null) {
                    // after whatever is still being written to it
                    other.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
                }
                pipes.remove(Pipe.this);
            }

            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                ctx.close();
            }
        }
    }

    List<Channel> channelsForTest() {
        List<Channel> out = new ArrayList<>();
        pipes.forEach(p -> out.add(p.client));
        return out;
    }
}
