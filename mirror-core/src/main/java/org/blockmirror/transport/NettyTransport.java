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

/**
 * Which Netty transport the daemons' event loops and channels use. Native epoll where Netty's
 * library loads (Linux x86-64 and aarch64): it costs fewer system calls and less Java per frame
 * than the JDK selector, which matters because every replicated write crosses an event loop
 * four times (WRITE out, in; ACK out, in). Elsewhere, or when the native library cannot load,
 * the JDK's NIO. A channel must come from the same transport as the group it is registered
 * with, so callers given a group ask {@link #of(EventLoopGroup)}.
 */
public enum NettyTransport {
    EPOLL {
        @Override
        public EventLoopGroup newGroup(int threads, ThreadFactory threadFactory) {
            return threadFactory == null ? new EpollEventLoopGroup(threads) : new EpollEventLoopGroup(threads, threadFactory);
        }

        @Override
        public Class<? extends SocketChannel> socketChannel() {
            return EpollSocketChannel.class;
        }

        @Override
        public Class<? extends ServerSocketChannel> serverSocketChannel() {
            return EpollServerSocketChannel.class;
        }

        @Override
        public Class<? extends DatagramChannel> datagramChannel() {
            return EpollDatagramChannel.class;
        }
    },
    NIO {
        @Override
        public EventLoopGroup newGroup(int threads, ThreadFactory threadFactory) {
            return threadFactory == null ? new NioEventLoopGroup(threads) : new NioEventLoopGroup(threads, threadFactory);
        }

        @Override
        public Class<? extends SocketChannel> socketChannel() {
            return NioSocketChannel.class;
        }

        @Override
        public Class<? extends ServerSocketChannel> serverSocketChannel() {
            return NioServerSocketChannel.class;
        }

        @Override
        public Class<? extends DatagramChannel> datagramChannel() {
            return NioDatagramChannel.class;
        }
    };

    /** Native epoll if it is available on this machine, else NIO. */
    public static NettyTransport preferred() {
        return Epoll.isAvailable() ? EPOLL : NIO;
    }

    /** The transport {@code group}'s event loops run: channels registered with it must be of that kind. */
    public static NettyTransport of(EventLoopGroup group) {
        return group instanceof EpollEventLoopGroup ? EPOLL : NIO;
    }

    /** @param threadFactory null: Netty's default (threads named after the group's class) */
    public abstract EventLoopGroup newGroup(int threads, ThreadFactory threadFactory);

    public abstract Class<? extends SocketChannel> socketChannel();

    public abstract Class<? extends ServerSocketChannel> serverSocketChannel();

    public abstract Class<? extends DatagramChannel> datagramChannel();
}
