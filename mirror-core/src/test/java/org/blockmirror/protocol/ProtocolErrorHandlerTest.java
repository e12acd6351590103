package org.blockmirror.protocol;

import org.blockmirror.testing.LogCapture;

import static org.blockmirror.protocol.WireTestSupport.BLOCK_SIZE;
import static org.blockmirror.protocol.WireTestSupport.encode;
import static org.blockmirror.protocol.WireTestSupport.rawFrame;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The error handler in a full codec pipeline (EmbeddedChannel); the TCP variant is in ProtocolOverTcpTest. */
@ExtendWith(ParanoidLeakDetection.class)
class ProtocolErrorHandlerTest {

    private static EmbeddedChannel pipeline(ProtocolErrorHandler handler) {
        return new EmbeddedChannel(new FrameDecoder(FrameHeader.DEFAULT_MAX_PAYLOAD, BLOCK_SIZE),
                new FrameEncoder(), handler);
    }

    /** What the peer would decode from everything {@code ch} wrote. */
    private static List<Object> sentByPeer(EmbeddedChannel ch) {
        EmbeddedChannel peer = new EmbeddedChannel(new FrameDecoder(FrameHeader.DEFAULT_MAX_PAYLOAD, BLOCK_SIZE));
        for (Object o; (o = ch.readOutbound()) != null; ) {
            peer.writeInbound(o);
        }
        List<Object> out = new ArrayList<>();
        for (Object o; (o = peer.readInbound()) != null; ) {
            out.add(o);
        }
        peer.finishAndReleaseAll();
        return out;
    }

    @Test
    void serverAnswersAnotherVersionWithHelloRejectVersionMismatchAndCloses() {
        try (LogCapture log = new LogCapture(ProtocolErrorHandler.class)) {
            EmbeddedChannel ch = pipeline(ProtocolErrorHandler.forServer());
            ch.writeInbound(rawFrame(FrameHeader.MAGIC, 3, FrameType.HELLO.code(), 0, new byte[70]));
            assertEquals(List.of(new HelloReject(RejectReason.VERSION_MISMATCH,
                    "unsupported protocol version 3, this peer speaks 2")), sentByPeer(ch));
            assertFalse(ch.isOpen());
            assertEquals(List.of("Protocol error from embedded, closing the connection: "
                    + "unsupported protocol version 3, this peer speaks 2"), log.messages(Level.WARN));
        }
    }

    @Test
    void serverAnswersAMalformedHelloWithHelloRejectBadHello() {
        EmbeddedChannel ch = pipeline(ProtocolErrorHandler.forServer());
        ch.writeInbound(WireTestSupport.patched(WireTestSupport.hello(0, 2), p -> p.setShort(4, 0)));
        assertEquals(List.of(new HelloReject(RejectReason.BAD_HELLO,
                "HELLO: connection count 0 is not in 1..65535")), sentByPeer(ch));
        assertFalse(ch.isOpen());
    }

    @Test
    void serverAnswersCorruptionAfterTheHandshakeWithGoodbye() {
        EmbeddedChannel ch = pipeline(ProtocolErrorHandler.forServer());
        ch.writeInbound(encode(WireTestSupport.hello(0, 1)));
        Hello hello = ch.readInbound();
        assertEquals(WireTestSupport.hello(0, 1), hello);
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {1, 2, 3, 4}));
        assertEquals(List.of(new Goodbye(GoodbyeReason.PROTOCOL_ERROR,
                "bad magic 0x01020304, expected 0x424d5750 (\"BMWP\")")), sentByPeer(ch));
        assertFalse(ch.isOpen());
        assertNull(ch.readInbound());
    }

    @Test
    void clientNeverSendsHelloRejectOnlyGoodbye() {
        EmbeddedChannel ch = pipeline(ProtocolErrorHandler.forClient());
        ch.writeInbound(rawFrame(FrameHeader.MAGIC, 3, FrameType.HELLO_OK.code(), 0, new byte[41]));
        assertEquals(List.of(new Goodbye(GoodbyeReason.PROTOCOL_ERROR,
                "unsupported protocol version 3, this peer speaks 2")), sentByPeer(ch));
        assertFalse(ch.isOpen());
    }

    @Test
    void aLongDiagnosticIsCutToFitTheMessageField() {
        String huge = "ä".repeat(1000); // 2000 bytes of UTF-8
        EmbeddedChannel ch = pipeline(ProtocolErrorHandler.forClient());
        ch.pipeline().fireExceptionCaught(new ProtocolException(huge));
        Goodbye bye = (Goodbye) sentByPeer(ch).get(0);
        assertEquals("ä".repeat(512), bye.message());
    }

    @Test
    void closesAfterTheFarewellTimeoutWhenTheFarewellCannotBeWritten() {
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.freezeTime();
        ch.pipeline().addLast(new FrameDecoder(FrameHeader.DEFAULT_MAX_PAYLOAD, BLOCK_SIZE),
                new StuckTransport(), new FrameEncoder(),
                ProtocolErrorHandler.forServer().withFarewellTimeout(Duration.ofSeconds(5)));
        ch.writeInbound(Unpooled.wrappedBuffer("garbage!".getBytes()));
        ch.advanceTimeBy(4900, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertTrue(ch.isOpen(), "still waiting for the farewell to be written");
        ch.advanceTimeBy(200, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertFalse(ch.isOpen());
    }

    @Test
    void ioErrorClosesWithoutAFarewell() {
        try (LogCapture log = new LogCapture(ProtocolErrorHandler.class)) {
            EmbeddedChannel ch = pipeline(ProtocolErrorHandler.forServer());
            ch.pipeline().fireExceptionCaught(new IOException("Connection reset by peer"));
            assertFalse(ch.isOpen());
            assertEquals(List.of(), sentByPeer(ch));
            assertEquals(List.of("I/O error on connection with embedded, closing it: "
                    + "java.io.IOException: Connection reset by peer"), log.messages(Level.WARN));
        }
    }

    @Test
    void onlyTheFirstErrorIsAnswered() {
        EmbeddedChannel ch = pipeline(ProtocolErrorHandler.forClient());
        ch.freezeTime();
        StuckTransport stuck = new StuckTransport();
        ch.pipeline().addAfter(ch.pipeline().context(FrameDecoder.class).name(), "stuck", stuck);
        ch.pipeline().fireExceptionCaught(new ProtocolException("first"));
        ch.pipeline().fireExceptionCaught(new ProtocolException("second"));
        assertEquals(1, stuck.writes, "one farewell, for the first error only");
        assertTrue(ch.isOpen());
        ch.advanceTimeBy(3, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        assertFalse(ch.isOpen());
    }

    /** An outbound stage that never completes writes, like a peer that stopped reading. */
    private static final class StuckTransport extends ChannelOutboundHandlerAdapter {
        int writes;

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            writes++;
            ReferenceCountUtil.release(msg);
        }
    }

}
