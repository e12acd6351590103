package org.blockmirror.protocol;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.io.IOException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Last handler of a protocol pipeline: turns an exception into one WARN line naming the peer and
 * the error, and closes that channel only.
 *
 * <p>On a {@link ProtocolException} it first tells the peer why, so both logs show the cause: a
 * server answers an unusable first frame (other protocol version, malformed HELLO) with
 * HELLO_REJECT, anything else with GOODBYE PROTOCOL_ERROR. The farewell goes through the
 * pipeline's {@link FrameEncoder}; if it cannot be written within the farewell timeout (peer not
 * reading) the channel is closed anyway. Other exceptions close at once.
 *
 * <p>One instance per channel.
 */
public final class ProtocolErrorHandler extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(ProtocolErrorHandler.class);

    /** How long a farewell frame may take to be written before the channel is closed regardless. */
    public static final Duration DEFAULT_FAREWELL_TIMEOUT = Duration.ofSeconds(2);

    private final boolean server;
    private final Duration farewellTimeout;
    private boolean closing;

    private ProtocolErrorHandler(boolean server, Duration farewellTimeout) {
        this.server = server;
        this.farewellTimeout = Objects.requireNonNull(farewellTimeout, "farewellTimeout");
    }

    /** For the remote unit's connections (the TCP server, which answers HELLOs). */
    public static ProtocolErrorHandler forServer() {
        return new ProtocolErrorHandler(true, DEFAULT_FAREWELL_TIMEOUT);
    }

    /** For the local unit's connections (the TCP client). */
    public static ProtocolErrorHandler forClient() {
        return new ProtocolErrorHandler(false, DEFAULT_FAREWELL_TIMEOUT);
    }

    public ProtocolErrorHandler withFarewellTimeout(Duration timeout) {
        return new ProtocolErrorHandler(server, timeout);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (closing) {
            log.debug("Further error on {} while closing: {}", ctx.channel().remoteAddress(), cause.toString());
            return;
        }
        closing = true;
        Object peer = ctx.channel().remoteAddress();
        if (cause instanceof ProtocolException e) {
            log.warn("Protocol error from {}, closing the connection: {}", peer, e.getMessage());
            sendFarewellAndClose(ctx, farewellFor(e));
        } else if (cause instanceof IOException) {
            log.warn("I/O error on connection with {}, closing it: {}", peer, cause.toString());
            ctx.close();
        } else {
            // Not the peer's fault: a bug in a handler. Keep the stack trace.
            log.warn("Unexpected error on connection with {}, closing it", peer, cause);
            ctx.close();
        }
    }

    private Message farewellFor(ProtocolException e) {
        String message = WireStrings.truncateUtf8(e.getMessage(), WireStrings.MAX_MESSAGE_BYTES);
        if (server && e.handshakeReject() != null) {
            return new HelloReject(e.handshakeReject(), message);
        }
        return new Goodbye(GoodbyeReason.PROTOCOL_ERROR, message);
    }

    private void sendFarewellAndClose(ChannelHandlerContext ctx, Message farewell) {
        if (!ctx.channel().isActive()) {
            ctx.close();
            return;
        }
        var backstop = ctx.executor().schedule(() -> {
            ctx.close();
        }, farewellTimeout.toNanos(), TimeUnit.NANOSECONDS);
        ctx.writeAndFlush(farewell).addListener((ChannelFutureListener) f -> {
            backstop.cancel(false);
            ctx.close();
        });
    }
}
