package org.blockmirror.unit;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.blockmirror.frontend.FrontEndFactory;
import org.blockmirror.linksim.LinkSimulator;
import org.blockmirror.role.Role;
import org.blockmirror.time.MonotonicClock;
import org.blockmirror.volume.FileVolume;

/**
 * Two units with roles on this machine (A starts primary, B secondary), file volumes in one
 * directory and a {@link LinkSimulator} carrying everything between them (TCP both ways, UDP
 * heartbeats both ways), so the link can be cut. Configurations are real files in the unit format.
 */
final class UnitPair implements AutoCloseable {

    static final long VOLUME_BYTES = 8L << 20;
    static final int BLOCK = 4096;

    final Path dir;
    final LinkSimulator link = new LinkSimulator();
    final Path confA;
    final Path confB;
    private final Random random = new SecureRandom();
    UnitDaemon a;
    UnitDaemon b;

    private UnitPair(Path dir, Path confA, Path confB) {
        this.dir = dir;
        this.confA = confA;
        this.confB = confB;
    }

    /** Writes the volumes and configurations, and initialises A as primary and B as secondary. */
    static UnitPair prepare(Path dir, String... extraLines) throws Exception {
        UnitPair p = new UnitPair(dir, dir.resolve("a.conf"), dir.resolve("b.conf"));
        int pa;
        int pb;
        int ha;
        int hb;
        InetSocketAddress toA;
        InetSocketAddress toB;
        InetSocketAddress hbToA;
        InetSocketAddress hbToB;
        // the units' ports stay bound while the link simulator binds its own ephemeral ones, so
        // it cannot be handed one of them (that made a unit fail to listen, now and then)
        try (ServerSocket ra = tcp(); ServerSocket rb = tcp(); DatagramSocket ua = udp(); DatagramSocket ub = udp()) {
            pa = ra.getLocalPort();
            pb = rb.getLocalPort();
            ha = ua.getLocalPort();
            hb = ub.getLocalPort();
            toA = p.link.forwardTcp(new InetSocketAddress("127.0.0.1", pa));
            toB = p.link.forwardTcp(new InetSocketAddress("127.0.0.1", pb));
            hbToA = p.link.forwardUdp(new InetSocketAddress("127.0.0.1", ha));
            hbToB = p.link.forwardUdp(new InetSocketAddress("127.0.0.1", hb));
        }
        p.write("a", pa, ha, toB, hbToB, extraLines);
        p.write("b", pb, hb, toA, hbToA, extraLines);
        UnitDaemon.init(UnitConfig.load(p.confA), Role.PRIMARY, p.random);
        UnitDaemon.init(UnitConfig.load(p.confB), Role.SECONDARY, p.random);
        return p;
    }

    private void write(String name, int listen, int heartbeat, InetSocketAddress peer, InetSocketAddress hbPeer,
                       String... extra) throws IOException {
        Path vol = dir.resolve(name + ".vol");
        FileVolume.createFile(vol, VOLUME_BYTES, BLOCK).close();
        Files.writeString(dir.resolve(name + ".conf"), "# unit " + name + "\n"
                + "volume.id = demo\n"
                + "volume.path = " + vol + "\n"
                + "volume.block-size = " + BLOCK + "\n"
                + "state.dir = " + dir.resolve(name + "-state") + "\n"
                + "control.socket = " + dir.resolve(name + ".sock") + "\n"
                + "journal.path = " + dir.resolve(name + ".journal") + "\n"
                + "journal.size = 64M\n"
                + "listen.address = 127.0.0.1:" + listen + "\n"
                + "peer.address = " + peer.getHostString() + ":" + peer.getPort() + "\n"
                + "transport.connections = 2\n"
                + "transport.reconnect-backoff-ms = 100\n"
                + "transport.handshake-timeout-ms = 2000\n"
                + "heartbeat.listen = 127.0.0.1:" + heartbeat + "\n"
                + "heartbeat.peer = " + hbPeer.getHostString() + ":" + hbPeer.getPort() + "\n"
                + "heartbeat.interval-ms = 50\n"
                + "heartbeat.timeout-ms = 1000\n"
                + "heartbeat.probation-ms = 200\n"
                + "heartbeat.probation-gap-ms = 125\n"
                + String.join("\n", extra) + "\n");
    }

    UnitDaemon startA() throws Exception {
        a = UnitDaemon.start(UnitConfig.load(confA), MonotonicClock.system(), random, FrontEndFactory.UNAVAILABLE);
        return a;
    }

    UnitDaemon startB() throws Exception {
        b = UnitDaemon.start(UnitConfig.load(confB), MonotonicClock.system(), random, FrontEndFactory.UNAVAILABLE);
        return b;
    }

    static UnitPair start(Path dir) throws Exception {
        UnitPair p = prepare(dir);
        p.startB();
        p.startA();
        return p;
    }

    /** {@link #start}, then waits until A streams to B with nothing unacknowledged. */
    static UnitPair startStreaming(Path dir) throws Exception {
        UnitPair p = start(dir);
        await("A streams to B", 10_000, () -> drained(p.a));
        return p;
    }

    Path volA() {
        return dir.resolve("a.vol");
    }

    Path volB() {
        return dir.resolve("b.vol");
    }

    boolean volumesEqual() throws IOException {
        return Arrays.equals(Files.readAllBytes(volA()), Files.readAllBytes(volB()));
    }

    /** True while {@code u} is primary and its replicator streams to the peer with nothing unacknowledged. */
    static boolean drained(UnitDaemon u) {
        var l = u.primaryHalf();
        return l != null && l.unacknowledgedRecords() == 0
                && "STREAMING".equals(l.status().replication().phase());
    }

    static void await(String what, long timeoutMs, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeoutMs + " ms waiting until " + what);
            }
            Thread.sleep(10);
        }
    }

    private static ServerSocket tcp() throws IOException {
        return new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
    }

    private static DatagramSocket udp() throws IOException {
        return new DatagramSocket(0, InetAddress.getLoopbackAddress());
    }

    @Override
    public void close() {
        if (a != null) {
            a.close();
        }
        if (b != null) {
            b.close();
        }
        link.close();
    }
}
