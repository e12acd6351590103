package org.blockmirror.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.blockmirror.linksim.LinkSimulator;
import org.junit.jupiter.api.Test;

/** The test link itself: delaying TCP traffic must never reorder bytes within one connection. */
class LinkSimulatorTest {

    @Test
    void randomDelaysKeepTheByteOrderOfAConnection() throws Exception {
        byte[] sent = new byte[2 << 20];
        new Random(3).nextBytes(sent);
        try (ServerSocket sink = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             LinkSimulator link = new LinkSimulator()) {
            CompletableFuture<byte[]> received = CompletableFuture.supplyAsync(() -> {
                try (Socket s = sink.accept(); InputStream in = s.getInputStream()) {
                    ByteArrayOutputStream out = new ByteArrayOutputStream();
                    in.transferTo(out);
                    return out.toByteArray();
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            InetSocketAddress via = link.forwardTcp((InetSocketAddress) sink.getLocalSocketAddress());
            Random delays = new Random(4);
            link.delayTcp(() -> delays.nextInt(6)); // 0 (no delay) included
            try (Socket client = new Socket(via.getAddress(), via.getPort())) {
                client.setTcpNoDelay(true);
                OutputStream out = client.getOutputStream();
                Random sizes = new Random(5);
                for (int pos = 0; pos < sent.length; ) {
                    int n = Math.min(sent.length - pos, 1 + sizes.nextInt(16 << 10));
                    out.write(sent, pos, n);
                    out.flush();
                    pos += n;
                }
                client.shutdownOutput();
                byte[] got = received.get(30, TimeUnit.SECONDS);
                assertEquals(sent.length, got.length);
                assertEquals(-1, java.util.Arrays.mismatch(sent, got), "bytes arrived out of order");
            }
        }
    }
}
