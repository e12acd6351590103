package org.blockmirror.remote;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import org.blockmirror.config.CommonConfig;
import org.blockmirror.config.ConfigException;
import org.blockmirror.config.ConfigFile;
import org.blockmirror.config.ConfigReader;
import org.blockmirror.frontend.FrontEndConfig;

/** Configuration of the remote unit (the one receiving the mirror); see docs/configuration.md. */
public record RemoteConfig(CommonConfig common, InetSocketAddress listenAddress, long reorderWindowBytes,
                           long inlineApplyMaxBytes, FrontEndConfig frontEnd, PreInconsistencyHook remirrorPreHook) {

    /** Without a remirror pre-hook; apply.inline-max-bytes at its default. */
    public RemoteConfig(CommonConfig common, InetSocketAddress listenAddress, long reorderWindowBytes,
                        FrontEndConfig frontEnd) {
        this(common, listenAddress, reorderWindowBytes, DEFAULT_INLINE_APPLY_MAX_BYTES, frontEnd,
                PreInconsistencyHook.none());
    }

    /**
     * Default apply.inline-max-bytes: off. In the one-vCPU benchmark guest, applying on the event
     * loop made sync QD1 writes 1.8 times slower (docs/performance.md, boots s8 and s9).
     */
    public static final long DEFAULT_INLINE_APPLY_MAX_BYTES = 0;

    public static final int DEFAULT_HEARTBEAT_PORT = 7791;
    public static final int DEFAULT_PORT = 7789;

    public static RemoteConfig load(Path file) throws ConfigException {
        return parse(ConfigFile.read(file));
    }

    public static RemoteConfig parse(ConfigFile file) throws ConfigException {
        ConfigReader r = new ConfigReader(file);
        CommonConfig common = CommonConfig.read(r, "remote", DEFAULT_HEARTBEAT_PORT);
        InetSocketAddress listen = r.address("listen.address", InetSocketAddress.createUnresolved("0.0.0.0", DEFAULT_PORT));
        long window = r.size("apply.reorder-window-bytes", 256L << 20, 1L << 20, 16L << 30);
        r.check(window >= common.maxFrameBytes(), "apply.reorder-window-bytes",
                "must be at least transport.max-frame-bytes (" + common.maxFrameBytes() + ")");
        long inline = r.size("apply.inline-max-bytes", DEFAULT_INLINE_APPLY_MAX_BYTES, 0, 4L << 20);
        // The standby disk (F10); same transfer limit as the local unit's journal records.
        FrontEndConfig frontEnd = FrontEndConfig.read(r, FrontEndConfig.defaultName(common.volumeId(), "-standby"),
                common.blockSize(), Math.min(4L << 20, common.maxFrameBytes() - 4096L));
        PreInconsistencyHook preHook = PreInconsistencyHook.read(r);
        r.finish();
        return new RemoteConfig(common, listen, window, inline, frontEnd, preHook);
    }
}
