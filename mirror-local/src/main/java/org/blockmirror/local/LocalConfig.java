package org.blockmirror.local;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import org.blockmirror.config.CommonConfig;
import org.blockmirror.config.ConfigException;
import org.blockmirror.config.ConfigFile;
import org.blockmirror.config.ConfigReader;
import org.blockmirror.schedule.SendWindows;
import org.blockmirror.frontend.FrontEndConfig;

/**
 * Configuration of the local unit (the one the host writes to). Every key and its range is
 * documented in docs/configuration.md; {@link #parse} reports every problem at once.
 */
public record LocalConfig(
        CommonConfig common,
        InetSocketAddress remoteAddress,
        int connections,
        Path journalPath,
        long journalSize,
        long journalFullTimeoutMs,
        AckMode ackMode,
        long syncTimeoutMs,
        long windowBytes,
        long reconnectBackoffMs,
        long handshakeTimeoutMs,
        int maxRecordBytes,
        long maxBatchBytes,
        int journalHighWaterPercent,
        long rateLimitBytesPerSecond,
        SendWindows sendBlackout,
        Path dirtyMapPath,
        int dirtyMapChunkBytes,
        long sendCoalesceMicros,
        FrontEndConfig frontEnd) {

    public static final int DEFAULT_HEARTBEAT_PORT = 7790;
    /** Smallest non-zero transport.rate-limit, bytes per second. */
    public static final long MIN_RATE_LIMIT = 64L << 10;
    /** Default dirty-map.chunk-bytes. */
    public static final int DEFAULT_CHUNK_BYTES = 64 << 10;
    /** Default transport.send-coalesce-us in async mode (0 in sync and verified mode). */
    public static final long DEFAULT_ASYNC_SEND_COALESCE_US = 1000;

    public static LocalConfig load(Path file) throws ConfigException {
        return parse(ConfigFile.read(file));
    }

    public static LocalConfig parse(ConfigFile file) throws ConfigException {
        ConfigReader r = new ConfigReader(file);
        CommonConfig common = CommonConfig.read(r, "local", DEFAULT_HEARTBEAT_PORT);
        InetSocketAddress remote = r.address("remote.address", null);
        int connections = r.intInRange("transport.connections", 4, 1, 64);
        Path journal = r.requiredPath("journal.path", "the journal file or device");
        long journalSize = r.size("journal.size", 1L << 30, 1L << 20, 1L << 50);
        long fullTimeout = r.longInRange("journal.full-timeout-ms", 0, 0, 600_000);
        AckMode ackMode = r.choice("ack.mode", AckMode.class, AckMode.ASYNC);
        long syncTimeout = r.longInRange("ack.sync-timeout-ms", 5_000, 1, 600_000);
        long window = r.size("transport.window-bytes", 64L << 20, 64L << 10, 4L << 30);
        long backoff = r.longInRange("transport.reconnect-backoff-ms", 1_000, 10, 600_000);
        long handshake = r.longInRange("transport.handshake-timeout-ms", 10_000, 100, 600_000);
        long batch = r.size("journal.group-commit-bytes", 8L << 20, 64L << 10, 1L << 30);
        int maxRecord = (int) Math.min(4L << 20, common.maxFrameBytes() - 4096L);
        r.check(journalSize >= 16L * maxRecord, "journal.size",
                "must hold at least 16 records of " + ConfigReader.formatSize(maxRecord));
        int highWater = r.intInRange("journal.high-water-percent", 80, 1, 100);
        long rateLimit = r.size("transport.rate-limit", 0, 0, 1L << 40);
        // the host waits for the remote only in sync/verified mode: there a delay is its latency
        long coalesce = r.longInRange("transport.send-coalesce-us",
                ackMode.waitsForRemote() ? 0 : DEFAULT_ASYNC_SEND_COALESCE_US, 0, 100_000);
        r.check(rateLimit == 0 || rateLimit >= MIN_RATE_LIMIT, "transport.rate-limit",
                "must be 0 (unlimited) or at least " + ConfigReader.formatSize(MIN_RATE_LIMIT) + " per second");
        SendWindows blackout = SendWindows.none();
        try {
            blackout = SendWindows.parse(r.string("transport.send-blackout", ""));
        } catch (IllegalArgumentException e) {
            r.check(false, "transport.send-blackout", e.getMessage());
        }
        // next to a journal file; a journal on a device has no "next to" (no file may go in /dev)
        Path dirtyMap = r.path("dirty-map.path", journal != null && journal.startsWith("/dev")
                ? common.stateDir().resolve("dirty-map") : Path.of(journal + ".dirtymap"));
        int chunkBytes = (int) r.size("dirty-map.chunk-bytes", DEFAULT_CHUNK_BYTES, 512, 64L << 20);
        r.check(chunkBytes % common.blockSize() == 0, "dirty-map.chunk-bytes",
                "must be a multiple of volume.block-size (" + common.blockSize() + ")");
        // A SCSI transfer fits one journal record (larger writes would be split anyway).
        FrontEndConfig frontEnd = FrontEndConfig.read(r, FrontEndConfig.defaultName(common.volumeId(), ""),
                common.blockSize(), maxRecord);
        r.finish();
        return new LocalConfig(common, remote, connections, journal, journalSize, fullTimeout, ackMode, syncTimeout,
                window, backoff, handshake, maxRecord, batch, highWater, rateLimit, blackout, dirtyMap, chunkBytes,
                coalesce, frontEnd);
    }
}
