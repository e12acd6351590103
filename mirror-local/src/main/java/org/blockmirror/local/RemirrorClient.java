package org.blockmirror.local;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.SocketChannel;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.blockmirror.protocol.FrameDecoder;
import org.blockmirror.protocol.FrameEncoder;
import org.blockmirror.protocol.FrameHeader;
import org.blockmirror.protocol.Hello;
import org.blockmirror.protocol.HelloOk;
import org.blockmirror.protocol.Message;
import org.blockmirror.protocol.Nak;
import org.blockmirror.protocol.ProtocolErrorHandler;
import org.blockmirror.transport.NettyTransport;

/**
 * One connection to a remote, handshaken, carrying only a remirror: for running a
 * {@link RemirrorSource} outside the replicator (the remirror benchmark, the engine tests). The
 * replicator runs remirror on connection 0 of its own session instead.
 */
public final class RemirrorClient implements AutoCloseable {

    private final Channel channel;
    private final HelloOk hello;
    private final RemirrorLink link;

    private RemirrorClient(Channel channel, HelloOk hello, RemirrorLink link) {
        this.channel = channel;
        this.hello = hello;
        this.link = link;
    }

    /** Connects, sends HELLO (a session of one connection) and waits for HELLO_OK. */
    public static RemirrorClient connect(EventLoopGroup group, InetSocketAddress remote, Replicator.Identity identity,
                                         long sessionId, int maxFrameBytes, long timeoutMs) throws IOException {
        Hello h = new Hello(FrameHeader.VERSION, identity.unitId(), identity.volumeId(), identity.volumeSizeBytes(),
                identity.blockSize(), 0, sessionId, 0, 1, identity.ackMode());
        RemirrorLink[] linkRef = new RemirrorLink[1];
        SessionHandler handler = new SessionHandler(h, new SessionHandler.Events() {
            @Override
            public void onAck(long seq) {
            }

            @Override
            public void onNak(Nak nak) {
            }

            @Override
            public void onVerify(io.netty.channel.Channel channel, org.blockmirror.protocol.Verify verify) {
                // a remirror-only connection sends no WRITE, so no VERIFY comes back
            }

            @Override
            public void onReadData(org.blockmirror.protocol.ReadData answer) {
                // a remirror-only connection sends no READ
            }

            @Override
            public void onClosed(int connectionIndex, String why) {
            }

            @Override
            public void onWritable() {
            }

            @Override
            public void onRemirror(Message answer) {
                linkRef[0].deliver(answer);
            }
        });
        ChannelFuture connect = new Bootstrap().group(group).channel(NettyTransport.of(group).socketChannel())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(1 << 20, 4 << 20))
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new FrameDecoder(maxFrameBytes, identity.blockSize()), new FrameEncoder(),
                                handler, ProtocolErrorHandler.forClient());
                    }
                }).connect(remote);
        Channel ch = connect.channel();
        linkRef[0] = new RemirrorLink(ch, () -> true);
        try {
            if (!connect.await(timeoutMs) || !connect.isSuccess()) {
                throw new IOException("cannot connect to " + remote + ": "
                        + (connect.cause() == null ? "timed out" : connect.cause().getMessage()));
            }
            HelloOk ok = handler.handshake.get(timeoutMs, TimeUnit.MILLISECONDS);
            return new RemirrorClient(ch, ok, linkRef[0]);
        } catch (ExecutionException e) {
            ch.close();
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            ch.close();
            throw new IOException("no answer to HELLO within " + timeoutMs + " ms");
        } catch (InterruptedException e) {
            ch.close();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    public HelloOk hello() {
        return hello;
    }

    public RemirrorLink link() {
        return link;
    }

    @Override
    public void close() {
        channel.close().awaitUninterruptibly(5_000);
    }
}
