package org.blockmirror.unit;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import org.blockmirror.protocol.FrameDecoder;
import org.blockmirror.protocol.FrameEncoder;
import org.blockmirror.protocol.Hello;
import org.blockmirror.protocol.HelloOk;
import org.blockmirror.protocol.HelloReject;
import org.blockmirror.protocol.Message;

/**
 * A one-request connection to the peer unit (the ROLE_REVERSE of a role reversal): HELLO, then one
 * request frame, then its answer. Blocking and short-lived; the frames are the Netty codec's, run
 * in an {@link EmbeddedChannel} over a plain socket.
 */
final class PeerClient {

    private PeerClient() {
    }

    static Message request(InetSocketAddress peer, Hello hello, Message request, int timeoutMs) throws IOException {
        InetSocketAddress target = peer.isUnresolved() ? new InetSocketAddress(peer.getHostString(), peer.getPort()) : peer;
        EmbeddedChannel encoder = new EmbeddedChannel(new FrameEncoder());
        EmbeddedChannel decoder = new EmbeddedChannel(new FrameDecoder());
        try (Socket socket = new Socket()) {
            socket.connect(target, timeoutMs);
            socket.setSoTimeout(timeoutMs);
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            send(out, encoder, hello);
            Message first = receive(in, decoder);
            if (first instanceof HelloReject r) {
                throw new IOException("the peer refused the connection (" + r.reason() + "): " + r.message());
            }
            if (!(first instanceof HelloOk)) {
                throw new IOException("the peer answered HELLO with " + first.frameType());
            }
            send(out, encoder, request);
            return receive(in, decoder);
        } catch (IOException e) {
            throw new IOException("peer " + peer.getHostString() + ":" + peer.getPort() + ": " + e.getMessage(), e);
        } finally {
            encoder.finishAndReleaseAll();
            decoder.finishAndReleaseAll();
        }
    }

    private static void send(OutputStream out, EmbeddedChannel encoder, Message m) throws IOException {
        encoder.writeOutbound(m);
        for (Object o; (o = encoder.readOutbound()) != null; ) {
            ByteBuf b = (ByteBuf) o;
            try {
                byte[] bytes = new byte[b.readableBytes()];
                b.readBytes(bytes);
                out.write(bytes);
            } finally {
                b.release();
            }
        }
        out.flush();
    }

    private static Message receive(InputStream in, EmbeddedChannel decoder) throws IOException {
        byte[] buf = new byte[4096];
        while (true) {
            Object m = decoder.readInbound();
            if (m != null) {
                return (Message) m;
            }
            int n = in.read(buf);
            if (n < 0) {
                throw new IOException("the peer closed the connection without an answer");
            }
            try {
                decoder.writeInbound(Unpooled.copiedBuffer(buf, 0, n));
            } catch (RuntimeException e) {
                throw new IOException("cannot decode the peer's answer: " + e.getMessage(), e);
            }
        }
    }
}
