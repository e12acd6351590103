package org.blockmirror.local;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import java.util.concurrent.CompletableFuture;
import org.blockmirror.protocol.Ack;
import org.blockmirror.protocol.Generations;
import org.blockmirror.protocol.ChecksumDiff;
import org.blockmirror.protocol.RemirrorAck;
import org.blockmirror.protocol.RemirrorDoneAck;
import org.blockmirror.protocol.RemirrorReady;
import org.blockmirror.protocol.Hello;
import org.blockmirror.protocol.HelloOk;
import org.blockmirror.protocol.HelloReject;
import org.blockmirror.protocol.Message;
import org.blockmirror.protocol.Nak;
import org.blockmirror.protocol.ReadData;
import org.blockmirror.protocol.RoleReject;
import org.blockmirror.protocol.Verify;

/**
 * Client side of one connection: sends the HELLO when connected, completes {@link #handshake}
 * with the remote's answer, then passes ACK/NAK, VERIFY (verified ack mode) and connection
 * events to the replicator.
 */
final class SessionHandler extends SimpleChannelInboundHandler<Message> {

    /** What the replicator hears from a connection. */
    interface Events {
        void onAck(long seq);

        void onNak(Nak nak);

        /** Verified ack mode: answer {@code verify} on {@code channel} (flushed at the end of the read). */
        void onVerify(Channel channel, Verify verify);

        void onClosed(int connectionIndex, String why);

        void onWritable();

        /** An answer of the remirror exchange (REMIRROR_READY, RANGE/BLOCK_DIFF, REMIRROR_ACK, REMIRROR_DONE_ACK). */
        default void onRemirror(Message answer) {
        }
        /** Fail-over: the answer to a READ (released by the caller once this returns). */
        void onReadData(ReadData answer);
    }

    private final Hello hello;
    private final Events events;
    final CompletableFuture<HelloOk> handshake = new CompletableFuture<>();
    /** Connection 0 with roles: the peer's answer to GENERATIONS (GENERATIONS or ROLE_REJECT). */
    final CompletableFuture<Message> roleAnswer = new CompletableFuture<>();
    /** A VERIFY_REPLY was written during this read burst and awaits the flush. */
    private boolean unflushed;

    SessionHandler(Hello hello, Events events) {
        this.hello = hello;
        this.events = events;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        ctx.writeAndFlush(hello);
        ctx.fireChannelActive();
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, Message msg) {
        if (msg instanceof Ack ack) {
            events.onAck(ack.seq());
        } else if (msg instanceof Nak nak) {
            events.onNak(nak);
        } else if (msg instanceof Verify verify && handshake.isDone()) {
            events.onVerify(ctx.channel(), verify);
            unflushed = true;
        } else if (msg instanceof ReadData answer && handshake.isDone()) {
            events.onReadData(answer); // SimpleChannelInboundHandler releases it afterwards
        } else if (msg instanceof HelloOk ok) {
            handshake.complete(ok);
        } else if ((msg instanceof Generations || msg instanceof RoleReject) && handshake.isDone()) {
            roleAnswer.complete(msg);
        } else if (msg instanceof RemirrorReady || msg instanceof ChecksumDiff || msg instanceof RemirrorAck
                || msg instanceof RemirrorDoneAck) {
            events.onRemirror(msg);
        } else if (msg instanceof HelloReject reject) {
            handshake.completeExceptionally(new RemoteRefusedException(reject));
        } else {
            // GOODBYE, or a frame a server never sends
            ctx.close();
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (unflushed) {
            unflushed = false;
            ctx.flush();
        }
        ctx.fireChannelReadComplete();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable()) {
            events.onWritable();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        handshake.completeExceptionally(new java.io.IOException("connection closed during the handshake"));
        roleAnswer.completeExceptionally(new java.io.IOException("connection closed before the peer answered GENERATIONS"));
        events.onClosed(hello.connectionIndex(), "connection " + hello.connectionIndex() + " closed");
        ctx.fireChannelInactive();
    }
}
