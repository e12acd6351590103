package org.blockmirror.cli;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.blockmirror.alert.AlertCenter;
import org.blockmirror.alert.AlertEvent;
import org.blockmirror.config.ConfigException;
import org.blockmirror.config.ConfigFile;
import org.blockmirror.dirtymap.DirtyMap;
import org.blockmirror.local.OfflineDirtyTracking;
import org.blockmirror.local.RemirrorClient;
import org.blockmirror.local.RemirrorSource;
import org.blockmirror.local.Replicator;
import org.blockmirror.protocol.AckMode;
import org.blockmirror.protocol.FrameHeader;
import org.blockmirror.protocol.RemirrorKind;
import org.blockmirror.protocol.RemoteSyncState;
import org.blockmirror.remote.RemoteConfig;
import org.blockmirror.remote.RemoteDaemon;
import org.blockmirror.time.MonotonicClock;
import org.blockmirror.volume.FileVolume;

/**
 * A remote daemon and the local half of a remirror (volume, dirty map, {@link RemirrorSource})
 * on files in one directory, talking over loopback: the remirror benchmark and the engine tests
 * drive remirror through it without a write pipeline or heartbeats.
 */
public final class RemirrorHarness implements AutoCloseable {

    public static final String VOLUME_ID = "remirror";

    private final Path dir;
    private final long volumeBytes;
    private final int blockSize;
    private final String remoteExtraConfig;
    private final FileVolume localVolume;
    private final DirtyMap map;
    private final OfflineDirtyTracking tracking;
    private final RemirrorSource source;
    private final EventLoopGroup group = new NioEventLoopGroup(1);
    private final List<AlertEvent> localEvents = new CopyOnWriteArrayList<>();
    private final UUID unitId = UUID.randomUUID();
    private RemoteDaemon remote;
    private long sessions;

    private RemirrorHarness(Path dir, long volumeBytes, int blockSize, int blocksPerChunk, String remoteExtraConfig,
                            long resumeSeq) throws IOException {
        this.dir = dir;
        this.volumeBytes = volumeBytes;
        this.blockSize = blockSize;
        this.remoteExtraConfig = remoteExtraConfig;
        for (String v : new String[] {"local.vol", "remote.vol"}) {
            if (Files.notExists(dir.resolve(v))) {
                FileVolume.createFile(dir.resolve(v), volumeBytes, blockSize).close(); // sparse
            }
        }
        this.localVolume = FileVolume.open(dir.resolve("local.vol"), blockSize, volumeBytes, volumeBytes);
        this.map = DirtyMap.openOrCreate(dir.resolve("dirty-map"), blockSize, volumeBytes / blockSize, blocksPerChunk);
        this.tracking = new OfflineDirtyTracking(map, localVolume, resumeSeq);
        AlertCenter alerts = new AlertCenter("local", VOLUME_ID, MonotonicClock.system(), localEvents::add);
        this.source = new RemirrorSource(tracking, localVolume, alerts, MonotonicClock.system(),
                RemirrorSource.Settings.defaults());
    }

    /**
     * Creates (sparse) or reuses {@code local.vol} and {@code remote.vol} in {@code dir} and starts the remote.
     *
     * @param remoteExtraConfig more lines for the remote's configuration (e.g. {@code remirror.pre-hook})
     * @param resumeSeq         the seq journaling "resumes" at when a remirror ends
     */
    public static RemirrorHarness start(Path dir, long volumeBytes, int blockSize, int blocksPerChunk,
                                        String remoteExtraConfig, long resumeSeq) throws IOException {
        RemirrorHarness h = new RemirrorHarness(dir, volumeBytes, blockSize, blocksPerChunk, remoteExtraConfig,
                resumeSeq);
        try {
            h.startRemote();
        } catch (IOException | RuntimeException e) {
            h.close();
            throw e;
        }
        return h;
    }

    public void startRemote() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        int hbListen;
        int hbPeer;
        try (DatagramSocket a = new DatagramSocket(0, InetAddress.getLoopbackAddress());
             DatagramSocket b = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            hbListen = a.getLocalPort();
            hbPeer = b.getLocalPort();
        }
        String text = "volume.id = " + VOLUME_ID + "\n"
                + "volume.path = " + dir.resolve("remote.vol") + "\n"
                + "volume.block-size = " + blockSize + "\n"
                + "state.dir = " + dir.resolve("remote-state") + "\n"
                + "control.socket = " + dir.resolve("remote.sock") + "\n"
                + "listen.address = 127.0.0.1:" + port + "\n"
                + "heartbeat.listen = 127.0.0.1:" + hbListen + "\n"
                + "heartbeat.peer = 127.0.0.1:" + hbPeer + "\n"
                + "heartbeat.interval-ms = 1000\n"
                + "heartbeat.timeout-ms = 600000\n" // nobody sends heartbeats: keep the link out of DOWN
                + remoteExtraConfig;
        try {
            remote = RemoteDaemon.start(RemoteConfig.parse(ConfigFile.parse("remote.conf", text)),
                    MonotonicClock.system(), new Random());
        } catch (ConfigException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    public void stopRemote() {
        if (remote != null) {
            remote.close();
            remote = null;
        }
    }

    /** Opens a connection, runs a whole remirror on it (initial sync if the remote never synced) and closes it. */
    public RemirrorSource.Result remirror() throws IOException, InterruptedException {
        try (RemirrorClient client = connect()) {
            return remirror(client);
        }
    }

    public RemirrorClient connect() throws IOException {
        return RemirrorClient.connect(group, remote.listenAddress(),
                new Replicator.Identity(unitId, VOLUME_ID, volumeBytes, blockSize, AckMode.ASYNC), ++sessions,
                FrameHeader.DEFAULT_MAX_PAYLOAD, 10_000);
    }

    public RemirrorSource.Result remirror(RemirrorClient client) throws IOException, InterruptedException {
        RemirrorKind kind = client.hello().syncState() == RemoteSyncState.NEVER_SYNCED
                ? RemirrorKind.INITIAL_SYNC : RemirrorKind.RESYNC;
        return source.run(client.link(), kind);
    }

    public FileVolume localVolume() {
        return localVolume;
    }

    public Path remoteVolumePath() {
        return dir.resolve("remote.vol");
    }

    public Path localVolumePath() {
        return dir.resolve("local.vol");
    }

    public DirtyMap map() {
        return map;
    }

    public OfflineDirtyTracking tracking() {
        return tracking;
    }

    public RemirrorSource source() {
        return source;
    }

    public RemoteDaemon remote() {
        return remote;
    }

    public List<AlertEvent> localEvents() {
        return localEvents;
    }

    @Override
    public void close() {
        stopRemote();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        for (AutoCloseable c : new AutoCloseable[] {source, map, localVolume}) {
            try {
                c.close();
            } catch (Exception ignored) {
                // closing test and benchmark files
            }
        }
    }
}
