package org.blockmirror.cli;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP relay for the replication connections that damages WRITE data on its way to the remote,
 * the way a faulty NIC, switch or memory would: it parses the local → remote stream into frames
 * (16-byte header, payload length at offset 8) and flips one data byte of chosen WRITE frames.
 * WRITE data lies outside the frame CRC32C (wire-protocol.md §2), so the damage is no stream
 * error: only the end-to-end data check can notice it. The remote → local direction is relayed
 * unchanged.
 *
 * <p>Arm it with {@link #corrupt(long, int)}: the next {@code times} WRITE frames of that seq
 * carrying data are damaged. Test harness only; blocking sockets, two threads per connection.
 */
final class CorruptingProxy implements AutoCloseable {

    private static final int HEADER = 16;
    private static final int WRITE_TYPE = 4;
    private static final int WRITE_FIELDS = 33;

    private final InetSocketAddress upstream;
    private final ServerSocket server;
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    private final List<Thread> threads = new CopyOnWriteArrayList<>();
    private final AtomicLong targetSeq = new AtomicLong(-1);
    private final AtomicInteger timesLeft = new AtomicInteger();
    /** Seqs of the WRITE frames damaged so far, in order. */
    final List<Long> damaged = new CopyOnWriteArrayList<>();
    private volatile boolean closed;

    CorruptingProxy(InetSocketAddress upstream) throws IOException {
        this.upstream = upstream;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        start("proxy-accept", this::acceptLoop);
    }

    InetSocketAddress address() {
        return new InetSocketAddress("127.0.0.1", server.getLocalPort());
    }

    /** Damages the data of the next {@code times} WRITE frames of {@code seq}. */
    void corrupt(long seq, int times) {
        timesLeft.set(times);
        targetSeq.set(seq);
    }

    private void start(String name, Runnable body) {
        Thread t = new Thread(body, name);
        t.setDaemon(true);
        threads.add(t);
        t.start();
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                Socket client = server.accept();
                Socket remote = new Socket(upstream.getAddress(), upstream.getPort());
                client.setTcpNoDelay(true);
                remote.setTcpNoDelay(true);
                sockets.add(client);
                sockets.add(remote);
                start("proxy-to-remote", () -> relayFrames(client, remote));
                start("proxy-to-local", () -> relayBytes(remote, client));
            } catch (IOException e) {
                if (!closed) {
                    throw new IllegalStateException("proxy accept failed", e);
                }
            }
        }
    }

    private void relayFrames(Socket from, Socket to) {
        try (DataInputStream in = new DataInputStream(from.getInputStream())) {
            OutputStream out = to.getOutputStream();
            byte[] header = new byte[HEADER];
            while (true) {
                in.readFully(header);
                int type = header[5] & 0xFF;
                int length = ByteBuffer.wrap(header).getInt(8);
                byte[] payload = new byte[length];
                in.readFully(payload);
                if (type == WRITE_TYPE && length > WRITE_FIELDS) {
                    long seq = ByteBuffer.wrap(payload).getLong(0);
                    if (seq == targetSeq.get() && timesLeft.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                        payload[WRITE_FIELDS + (length - WRITE_FIELDS) / 2] ^= 0x10;
                        damaged.add(seq);
                    }
                }
                out.write(header);
                out.write(payload);
                out.flush();
            }
        } catch (EOFException e) {
            // the local unit closed the connection
        } catch (IOException e) {
            // either side closed or reset
        } finally {
            closeBoth(from, to);
        }
    }

    private void relayBytes(Socket from, Socket to) {
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            byte[] buf = new byte[64 << 10];
            for (int n; (n = in.read(buf)) >= 0; ) {
                out.write(buf, 0, n);
                out.flush();
            }
        } catch (IOException e) {
            // either side closed or reset
        } finally {
            closeBoth(from, to);
        }
    }

    private void closeBoth(Socket a, Socket b) {
        for (Socket s : new Socket[] {a, b}) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing anyway
            }
            sockets.remove(s);
        }
    }

    @Override
    public void close() throws InterruptedException {
        closed = true;
        try {
            server.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        for (Socket s : sockets) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
        for (Thread t : threads) {
            t.join(5_000);
        }
    }
}
