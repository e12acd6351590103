package org.blockmirror.remote;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.blockmirror.config.ConfigFile;
import org.blockmirror.time.MonotonicClock;
import org.blockmirror.volume.FileVolume;

/**
 * Test fixture: a remote daemon on loopback with a file volume in {@code dir}, driven from raw
 * sockets by the test. No peer sends heartbeats, so a long heartbeat timeout keeps its link out
 * of DOWN for the whole test.
 */
final class LoneRemote {

    private LoneRemote() {
    }

    /**
     * Starts the daemon, creating {@code dir/remote.vol} if it does not exist yet.
     *
     * @param extraConfig more config lines (each ending in a newline), or ""
     */
    static RemoteDaemon start(Path dir, String volumeId, long volumeBytes, int blockSize, String extraConfig)
            throws Exception {
        if (Files.notExists(dir.resolve("remote.vol"))) {
            FileVolume.createFile(dir.resolve("remote.vol"), volumeBytes, blockSize).close();
        }
        String text = "volume.id = " + volumeId + "\n"
                + "volume.path = " + dir.resolve("remote.vol") + "\n"
                + "volume.block-size = " + blockSize + "\n"
                + "state.dir = " + dir.resolve("state") + "\n"
                + "control.socket = " + dir.resolve("remote.sock") + "\n"
                + "listen.address = 127.0.0.1:" + freeTcpPort() + "\n"
                + "heartbeat.listen = 127.0.0.1:" + freeUdpPort() + "\n"
                + "heartbeat.peer = 127.0.0.1:" + freeUdpPort() + "\n"
                + "heartbeat.interval-ms = 1000\n"
                + "heartbeat.timeout-ms = 600000\n" + extraConfig;
        return RemoteDaemon.start(RemoteConfig.parse(ConfigFile.parse("remote.conf", text)), MonotonicClock.system(),
                new Random(1));
    }

    private static int freeTcpPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static int freeUdpPort() throws IOException {
        try (DatagramSocket s = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
