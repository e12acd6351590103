package org.blockmirror.config;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.UUID;
import org.blockmirror.alert.AlertConfig;
import org.blockmirror.heartbeat.HeartbeatSettings;

/**
 * Settings both daemons share: the mirrored volume, where state and the control socket live,
 * heartbeats and frame limits. Key names are documented in docs/configuration.md.
 *
 * @param volumeId        name of the mirrored volume; both units must agree on it
 * @param volumePath      the backing file or block device
 * @param blockSize       logical block size shown to the host (512 or 4096)
 * @param volumeSize      bytes exported (0: the whole backing volume)
 * @param unitId          this unit's identity (null: generated once and kept in the state dir)
 * @param stateDir        small persistent state (unit id, remote applied sequence)
 * @param controlSocket   the local-only control endpoint
 * @param heartbeatListen UDP address heartbeats are received on
 * @param heartbeatPeer   UDP address heartbeats are sent to
 * @param alert           the alert hook
 */
public record CommonConfig(
        String volumeId,
        Path volumePath,
        int blockSize,
        long volumeSize,
        UUID unitId,
        Path stateDir,
        Path controlSocket,
        InetSocketAddress heartbeatListen,
        InetSocketAddress heartbeatPeer,
        long heartbeatIntervalMs,
        long heartbeatTimeoutMs,
        long heartbeatProbationMs,
        long heartbeatProbationGapMs,
        int maxFrameBytes,
        AlertConfig alert) {

    public static final long MAX_VOLUME_BYTES = 1L << 50;

    /**
     * Resolves a configured host:port now. Configured addresses stay unresolved until used, so
     * a peer whose name does not resolve yet does not stop the daemon from being configured.
     */
    public static InetSocketAddress resolve(InetSocketAddress address) {
        return address.isUnresolved() ? new InetSocketAddress(address.getHostString(), address.getPort()) : address;
    }

    /** Reads the shared keys; {@code role} ("local" or "remote") picks file-name defaults. */
    public static CommonConfig read(ConfigReader r, String role, int defaultHeartbeatPort) {
        String volumeId = r.requiredName("volume.id", "the name both units use for the mirrored volume");
        Path volumePath = r.requiredPath("volume.path", "the backing file or block device");
        int blockSize = r.oneOf("volume.block-size", 512, 512, 4096);
        long volumeSize = r.size("volume.size", 0, 0, MAX_VOLUME_BYTES);
        r.check(volumeSize % blockSize == 0, "volume.size", "must be a multiple of volume.block-size (" + blockSize + ")");
        UUID unitId = r.uuid("unit.id", null);
        Path stateDir = r.path("state.dir", Path.of("/var/lib/blockmirror", role + "-" + volumeId));
        Path controlSocket = r.path("control.socket", Path.of("/run/blockmirror", role + "-" + volumeId + ".sock"));
        InetSocketAddress hbListen = r.address("heartbeat.listen",
                InetSocketAddress.createUnresolved("0.0.0.0", defaultHeartbeatPort));
        InetSocketAddress hbPeer = r.address("heartbeat.peer", null);
        long interval = r.longInRange("heartbeat.interval-ms", 1500, 10, 60_000);
        long timeout = r.longInRange("heartbeat.timeout-ms", 4000, 20, 600_000);
        long probation = r.longInRange("heartbeat.probation-ms", 10_000, 1, 3_600_000);
        long gap = r.longInRange("heartbeat.probation-gap-ms", interval * 5 / 2, 10, 600_000);
        try {
            new HeartbeatSettings(interval, timeout, probation, gap);
        } catch (IllegalArgumentException e) {
            // the message starts with the offending key
            String key = e.getMessage().split(" ", 2)[0];
            String why = e.getMessage().substring(key.length()).strip().replaceFirst("^\\(-?\\d+\\)\\s*", "");
            r.check(false, key, why);
        }
        int maxFrame = (int) r.size("transport.max-frame-bytes", 16L << 20, 64L << 10, 1L << 30);
        return new CommonConfig(volumeId, volumePath, blockSize, volumeSize, unitId, stateDir, controlSocket,
                hbListen, hbPeer, interval, timeout, probation, gap, maxFrame, AlertConfig.read(r));
    }
}
