package org.blockmirror.remote;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.blockmirror.protocol.AckMode;
import org.blockmirror.protocol.FrameDecoder;
import org.blockmirror.protocol.FrameEncoder;
import org.blockmirror.protocol.Message;

/**
 * A hand-driven peer on a plain blocking socket: frames are encoded and decoded with the
 * protocol's own codec (in an {@link EmbeddedChannel}), so a test can send exactly the bytes it
 * wants, good or bad, and read the answers one by one.
 */
final class RawPeer implements AutoCloseable {

    private final Socket socket;
    private final InputStream in;
    /** Accepts VERIFY too, so verified-mode tests can read it; other tests never receive one. */
    private final EmbeddedChannel decoder = new EmbeddedChannel(new FrameDecoder().expectAckMode(AckMode.VERIFIED));
    private final ArrayDeque<Message> received = new ArrayDeque<>();
    private boolean eof;

    RawPeer(InetSocketAddress server) throws IOException {
        socket = new Socket(server.getAddress(), server.getPort());
        socket.setTcpNoDelay(true);
        in = socket.getInputStream();
    }

    /** The frame bytes of {@code message} (released). */
    static byte[] encode(Message message) {
        EmbeddedChannel ch = new EmbeddedChannel(new FrameEncoder());
        ch.writeOutbound(message);
        ByteBuf all = Unpooled.buffer();
        for (Object o; (o = ch.readOutbound()) != null; ) {
            ByteBuf part = (ByteBuf) o;
            all.writeBytes(part);
            part.release();
        }
        ch.finishAndReleaseAll();
        byte[] bytes = new byte[all.readableBytes()];
        all.readBytes(bytes);
        all.release();
        return bytes;
    }

    void send(Message message) throws IOException {
        sendBytes(encode(message));
    }

    void sendBytes(byte[] bytes) throws IOException {
        socket.getOutputStream().write(bytes);
        socket.getOutputStream().flush();
    }

    /** The next frame from the server, or null if it closed the connection first. */
    Message receive(long timeoutMillis) throws IOException {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000;
        while (received.isEmpty() && !eof) {
            long left = (deadline - System.nanoTime()) / 1_000_000;
            if (left <= 0) {
                throw new SocketTimeoutException("no frame from the server within " + timeoutMillis + " ms");
            }
            socket.setSoTimeout((int) left);
            byte[] buf = new byte[8192];
            int n;
            try {
                n = in.read(buf);
            } catch (SocketTimeoutException e) {
                continue;
            } catch (IOException e) {
                n = -1; // connection reset counts as closed
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

    /** Every frame the server sends until it closes the connection. */
    List<Message> receiveUntilClosed(long timeoutMillis) throws IOException {
        List<Message> out = new ArrayList<>();
        for (Message m; (m = receive(timeoutMillis)) != null; ) {
            out.add(m);
        }
        return out;
    }

    @Override
    public void close() throws IOException {
        received.forEach(ReferenceCountUtil::release);
        decoder.finishAndReleaseAll();
        socket.close();
    }
}
