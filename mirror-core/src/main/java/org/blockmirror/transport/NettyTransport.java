package org.blockmirror.transport;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.util.concurrent.ThreadFactory;
import java.util.function.BiFunction;

/**
 * Which Netty transport the daemons' event loops and channels use. Native epoll where Netty's
 * library loads (Linux x86-64 and aarch64): it costs fewer system calls and less Java per frame
 * than the JDK selector, which matters because every replicated write crosses an event loop
 * four times (WRITE out, in; ACK out, in). Elsewhere, or when the native library cannot load,
 * the JDK's NIO. A channel must come from the same transport as the group it is registered
 * with, so callers given a group ask {@link #of(EventLoopGroup)}.
 */
public enum NettyTransport {
    EPOLL(EpollEventLoopGroup::new, EpollSocketChannel.class, EpollServerSocketChannel.class,
            EpollDatagramChannel.class),
    NIO(NioEventLoopGroup::new, NioSocketChannel.class, NioServerSocketChannel.class, NioDatagramChannel.class);

    private final BiFunction<Integer, ThreadFactory, EventLoopGroup> groups;
    private final Class<? extends SocketChannel> socketChannel;
    private final Class<? extends ServerSocketChannel> serverSocketChannel;
    private final Class<? extends DatagramChannel> datagramChannel;

    NettyTransport(BiFunction<Integer, ThreadFactory, EventLoopGroup> groups,
                   Class<? extends SocketChannel> socketChannel,
                   Class<? extends ServerSocketChannel> serverSocketChannel,
                   Class<? extends DatagramChannel> datagramChannel) {
        this.groups = groups;
        this.socketChannel = socketChannel;
        this.serverSocketChannel = serverSocketChannel;
        this.datagramChannel = datagramChannel;
    }

    /** Native epoll if it is available on this machine, else NIO. */
    public static NettyTransport preferred() {
        return Epoll.isAvailable() ? EPOLL : NIO;
    }

    /** The transport {@code group}'s event loops run: channels registered with it must be of that kind. */
    public static NettyTransport of(EventLoopGroup group) {
        return group instanceof EpollEventLoopGroup ? EPOLL : NIO;
    }

    /** @param threadFactory null: Netty's default (threads named after the group's class) */
    public EventLoopGroup newGroup(int threads, ThreadFactory threadFactory) {
        return groups.apply(threads, threadFactory);
    }

    public Class<? extends SocketChannel> socketChannel() {
        return socketChannel;
    }

    public Class<? extends ServerSocketChannel> serverSocketChannel() {
        return serverSocketChannel;
    }

    public Class<? extends DatagramChannel> datagramChannel() {
        return datagramChannel;
    }
}
