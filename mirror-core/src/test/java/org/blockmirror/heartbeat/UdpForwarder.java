package org.blockmirror.heartbeat;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A one-way UDP forwarder on 127.0.0.1 that a test can cut: every datagram it receives goes to
 * the target, unless it is dropping (or has no target yet).
 */
final class UdpForwarder implements AutoCloseable {

    private final DatagramSocket socket;
    private final Thread thread;
    private volatile InetSocketAddress target;
    private volatile boolean dropping;
    private final AtomicLong forwarded = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();

    UdpForwarder() throws SocketException {
        socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        thread = new Thread(this::run, "udp-forwarder-" + socket.getLocalPort());
        thread.setDaemon(true);
        thread.start();
    }

    InetSocketAddress address() {
        return (InetSocketAddress) socket.getLocalSocketAddress();
    }

    void target(InetSocketAddress target) {
        this.target = target;
    }

    void dropping(boolean dropping) {
        this.dropping = dropping;
    }

    long forwarded() {
        return forwarded.get();
    }

    long dropped() {
        return dropped.get();
    }

    private void run() {
        byte[] data = new byte[2048];
        while (!socket.isClosed()) {
            DatagramPacket packet = new DatagramPacket(data, data.length);
            try {
                socket.receive(packet);
                InetSocketAddress to = target;
                if (dropping || to == null) {
                    dropped.incrementAndGet();
                    continue;
                }
                socket.send(new DatagramPacket(data, packet.getLength(), to));
                forwarded.incrementAndGet();
            } catch (IOException e) {
                if (socket.isClosed()) {
                    return;
                }
            }
        }
    }

    @Override
    public void close() {
        socket.close();
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
