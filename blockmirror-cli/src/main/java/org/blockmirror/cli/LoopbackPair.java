package org.blockmirror.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Random;
import org.blockmirror.config.ConfigException;
import org.blockmirror.config.ConfigFile;
import org.blockmirror.linksim.LinkSimulator;
import org.blockmirror.local.LocalConfig;
import org.blockmirror.local.LocalDaemon;
import org.blockmirror.remote.RemoteConfig;
import org.blockmirror.remote.RemoteDaemon;
import org.blockmirror.time.MonotonicClock;
import org.blockmirror.volume.FileVolume;

/**
 * A local and a remote unit on this machine, with file-backed volumes in one directory and a
 * {@link LinkSimulator} between them that can cut the link. Used by the demo, the benchmark and
 * the end-to-end tests. The configurations are written as real files, so
 * {@code blockmirror status --config DIR/local.conf} works against a running pair.
 */
public final class LoopbackPair implements AutoCloseable {

    /** What kind of pair to build. */
    public record Options(long volumeBytes, int blockSize, long journalBytes, int connections, String ackMode,
                          long heartbeatIntervalMs, long heartbeatTimeoutMs, long probationMs) {

        public static Options defaults() {
            return new Options(64L << 20, 4096, 256L << 20, 4, "async", 1500, 4000, 10_000);
        }

        public Options withVolumeBytes(long v) {
            return new Options(v, blockSize, journalBytes, connections, ackMode, heartbeatIntervalMs,
                    heartbeatTimeoutMs, probationMs);
        }

        public Options withJournalBytes(long j) {
            return new Options(volumeBytes, blockSize, j, connections, ackMode, heartbeatIntervalMs,
                    heartbeatTimeoutMs, probationMs);
        }

        public Options withConnections(int n) {
            return new Options(volumeBytes, blockSize, journalBytes, n, ackMode, heartbeatIntervalMs,
                    heartbeatTimeoutMs, probationMs);
        }

        public Options withAckMode(String mode) {
            return new Options(volumeBytes, blockSize, journalBytes, connections, mode, heartbeatIntervalMs,
                    heartbeatTimeoutMs, probationMs);
        }

        /** Shorter heartbeat timings, for tests. */
        public Options withHeartbeat(long intervalMs, long timeoutMs, long probation) {
            return new Options(volumeBytes, blockSize, journalBytes, connections, ackMode, intervalMs, timeoutMs,
                    probation);
        }
    }

    private final Path dir;
    private final Options options;
    private final LinkSimulator link;
    private final Path localConf;
    private final Path remoteConf;
    private final Random random;
    private RemoteDaemon remote;
    private LocalDaemon local;

    private LoopbackPair(Path dir, Options options, LinkSimulator link, Path localConf, Path remoteConf, Random random) {
        this.dir = dir;
        this.options = options;
        this.link = link;
        this.localConf = localConf;
        this.remoteConf = remoteConf;
        this.random = random;
    }

    /** Creates the volumes and configurations in {@code dir} without starting anything. */
    public static LoopbackPair prepare(Path dir, Options o) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        for (String v : new String[] {"local.vol", "remote.vol"}) {
            Path p = dir.resolve(v);
            if (Files.notExists(p)) {
                FileVolume.createFile(p, o.volumeBytes(), o.blockSize()).close();
                preallocate(p, o.volumeBytes());
            }
        }
        int remotePort = freeTcpPort();
        int remoteHb = freeUdpPort();
        int localHb = freeUdpPort();
        LinkSimulator link = new LinkSimulator();
        InetSocketAddress toRemote = link.forwardTcp(new InetSocketAddress("127.0.0.1", remotePort));
        InetSocketAddress hbToRemote = link.forwardUdp(new InetSocketAddress("127.0.0.1", remoteHb));
        InetSocketAddress hbToLocal = link.forwardUdp(new InetSocketAddress("127.0.0.1", localHb));
        String heartbeat = "heartbeat.interval-ms = " + o.heartbeatIntervalMs() + "\n"
                + "heartbeat.timeout-ms = " + o.heartbeatTimeoutMs() + "\n"
                + "heartbeat.probation-ms = " + o.probationMs() + "\n"
                + "heartbeat.probation-gap-ms = " + (o.heartbeatIntervalMs() * 5 / 2) + "\n";
        Path remoteConf = dir.resolve("remote.conf");
        Files.writeString(remoteConf, "# remote unit of the loopback pair\n"
                + "volume.id = demo\n"
                + "volume.path = " + dir.resolve("remote.vol") + "\n"
                + "volume.block-size = " + o.blockSize() + "\n"
                + "state.dir = " + dir.resolve("remote-state") + "\n"
                + "control.socket = " + dir.resolve("remote.sock") + "\n"
                + "listen.address = 127.0.0.1:" + remotePort + "\n"
                + "heartbeat.listen = 127.0.0.1:" + remoteHb + "\n"
                + "heartbeat.peer = " + hostPort(hbToLocal) + "\n"
                + heartbeat);
        Path localConf = dir.resolve("local.conf");
        Files.writeString(localConf, "# local unit of the loopback pair\n"
                + "volume.id = demo\n"
                + "volume.path = " + dir.resolve("local.vol") + "\n"
                + "volume.block-size = " + o.blockSize() + "\n"
                + "state.dir = " + dir.resolve("local-state") + "\n"
                + "control.socket = " + dir.resolve("local.sock") + "\n"
                + "journal.path = " + dir.resolve("journal") + "\n"
                + "journal.size = " + o.journalBytes() + "\n"
                + "remote.address = " + hostPort(toRemote) + "\n"
                + "transport.connections = " + o.connections() + "\n"
                + "ack.mode = " + o.ackMode() + "\n"
                + "heartbeat.listen = 127.0.0.1:" + localHb + "\n"
                + "heartbeat.peer = " + hostPort(hbToRemote) + "\n"
                + heartbeat);
        return new LoopbackPair(dir, o, link, localConf, remoteConf, new SecureRandom());
    }

    /** Prepares and starts both units. */
    public static LoopbackPair start(Path dir, Options o) throws IOException, InterruptedException {
        LoopbackPair pair = prepare(dir, o);
        try {
            pair.startRemote();
            pair.startLocal();
        } catch (IOException | RuntimeException e) {
            pair.close();
            throw e;
        }
        return pair;
    }

    /** Allocates every block of a new sparse file, so first writes do not pay for allocation. */
    private static void preallocate(Path p, long bytes) throws IOException {
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
            ByteBuffer zeros = ByteBuffer.allocateDirect(1 << 20);
            for (long pos = 0; pos < bytes; pos += zeros.capacity()) {
                zeros.clear().limit((int) Math.min(zeros.capacity(), bytes - pos));
                ch.write(zeros, pos);
            }
            ch.force(false);
        }
    }

    private static String hostPort(InetSocketAddress a) {
        return a.getHostString() + ":" + a.getPort();
    }

    static int freeTcpPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    static int freeUdpPort() throws IOException {
        try (DatagramSocket s = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    public void startRemote() throws IOException {
        try {
            remote = RemoteDaemon.start(RemoteConfig.load(remoteConf), MonotonicClock.system(), random);
        } catch (ConfigException e) {
            throw new IllegalStateException("generated remote configuration is invalid: " + e.getMessage(), e);
        }
    }

    public void startLocal() throws IOException {
        startLocal(Clock.systemDefaultZone());
    }

    /** Starts the local unit reading its send-blackout windows on {@code timeOfDay}. */
    public void startLocal(Clock timeOfDay) throws IOException {
        try {
            local = LocalDaemon.start(LocalConfig.load(localConf), MonotonicClock.system(), timeOfDay, random, false);
        } catch (ConfigException e) {
            throw new IllegalStateException("generated local configuration is invalid: " + e.getMessage(), e);
        }
    }

    /** Starts the local unit opening its volume with {@code volumes} (fault injection in tests). */
    public void startLocal(org.blockmirror.local.VolumeOpener volumes) throws IOException {
        try {
            local = LocalDaemon.start(LocalConfig.load(localConf), MonotonicClock.system(), Clock.systemDefaultZone(),
                    random, false, org.blockmirror.frontend.FrontEndFactory.UNAVAILABLE, null, volumes);
        } catch (ConfigException e) {
            throw new IllegalStateException("generated local configuration is invalid: " + e.getMessage(), e);
        }
    }

    /** Adds {@code key = value} lines to the local unit's configuration (before it is started). */
    public void configureLocal(String... lines) throws IOException {
        Files.writeString(localConf, String.join("\n", lines) + "\n", StandardOpenOption.APPEND);
    }

    /** Adds {@code key = value} lines to the remote unit's configuration (before it is started). */
    public void configureRemote(String... lines) throws IOException {
        Files.writeString(remoteConf, String.join("\n", lines) + "\n", StandardOpenOption.APPEND);
    }

    public void stopLocal() {
        if (local != null) {
            local.close();
            local = null;
        }
    }

    public void stopRemote() {
        if (remote != null) {
            remote.close();
            remote = null;
        }
    }

    public LocalDaemon local() {
        return local;
    }

    public RemoteDaemon remote() {
        return remote;
    }

    public LinkSimulator link() {
        return link;
    }

    public Path dir() {
        return dir;
    }

    public Options options() {
        return options;
    }

    public Path localConfig() {
        return localConf;
    }

    public Path remoteConfig() {
        return remoteConf;
    }

    public Path localVolume() {
        return dir.resolve("local.vol");
    }

    public Path remoteVolume() {
        return dir.resolve("remote.vol");
    }

    /**
     * Compares the two volume files block by block.
     *
     * @return -1 if identical, else the byte offset of the first block that differs
     */
    public long firstDifference() {
        try {
            return VolumeCompare.firstDifference(localVolume(), remoteVolume());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        stopLocal();
        stopRemote();
        link.close();
    }
}
