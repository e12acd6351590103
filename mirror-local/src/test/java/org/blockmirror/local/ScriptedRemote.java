package org.blockmirror.local;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.ArrayDeque;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.blockmirror.protocol.AckMode;
import org.blockmirror.protocol.FrameDecoder;
import org.blockmirror.protocol.FrameEncoder;
import org.blockmirror.protocol.FrameHeader;
import org.blockmirror.protocol.Hello;
import org.blockmirror.protocol.HelloOk;
import org.blockmirror.protocol.Message;

/**
 * The remote end of one connection of a local unit under test, scripted by the test: frames are
 * made and read with the protocol's own codec on a plain socket, so the test sees exactly what
 * the local unit sends and when.
 */
final class ScriptedRemote implements AutoCloseable {
    private final Socket socket;
    private final InputStream in;
    private final EmbeddedChannel decoder;
    private final ArrayDeque<Message> received = new ArrayDeque<>();
    private final long timeoutMs;
    private boolean eof;

    /** Accepts the local unit's next connection; its HELLO must ask for {@code ackMode}. */
    ScriptedRemote(ServerSocket server, AckMode ackMode, int blockSize, long timeoutMs) throws IOException {
        this.timeoutMs = timeoutMs;
        server.setSoTimeout((int) timeoutMs);
        socket = server.accept();
        in = socket.getInputStream();
        decoder = new EmbeddedChannel(new FrameDecoder(FrameHeader.DEFAULT_MAX_PAYLOAD, blockSize)
                .expectAckMode(ackMode));
    }

    /** Answers the HELLO: nothing applied yet. */
    Hello handshake() throws IOException {
        Hello hello = assertInstanceOf(Hello.class, receive());
        send(new HelloOk(new UUID(9, 9), 0, 64L << 20, 0));
        return hello;
    }

    void send(Message m) throws IOException {
        EmbeddedChannel enc = new EmbeddedChannel(new FrameEncoder());
        enc.writeOutbound(m);
        for (Object o; (o = enc.readOutbound()) != null; ) {
            ByteBuf b = (ByteBuf) o;
            byte[] bytes = new byte[b.readableBytes()];
            b.readBytes(bytes);
            b.release();
            socket.getOutputStream().write(bytes);
        }
        enc.finishAndReleaseAll();
        socket.getOutputStream().flush();
    }

    /** The next frame, or null once the local unit closed the connection. */
    Message receive() throws IOException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (received.isEmpty() && !eof) {
            long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (left <= 0) {
                throw new SocketTimeoutException("no frame from the local unit within " + timeoutMs + " ms");
            }
            socket.setSoTimeout((int) left);
            byte[] buf = new byte[65536];
            int n;
            try {
                n = in.read(buf);
            } catch (SocketTimeoutException e) {
                continue;
            } catch (IOException e) {
                n = -1;
            }
            if (n < 0) {
                eof = true;
                break;
            }
            decoder.writeInbound(Unpooled.wrappedBuffer(buf, 0, n));
            for (Object o; (o = decoder.readInbound()) != null; ) {
                received.add((Message) o);
            }
        }
        return received.poll();
    }

    @Override
    public void close() throws IOException {
        received.forEach(ReferenceCountUtil::release);
        decoder.finishAndReleaseAll();
        socket.close();
    }
}
