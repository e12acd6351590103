package org.blockmirror.unit;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.blockmirror.config.CommonConfig;
import org.blockmirror.config.ConfigException;
import org.blockmirror.config.ConfigFile;
import org.blockmirror.frontend.FrontEndConfig;
import org.blockmirror.local.LocalConfig;
import org.blockmirror.remote.RemoteConfig;

/**
 * The configuration of a {@code blockmirror unit}: one file format for both units of a pair
 * (docs/configuration.md, "Units with roles"). It holds every key of the local and of the remote
 * unit, with {@code peer.address} (the other unit's {@code listen.address}) instead of
 * {@code remote.address}; the role is not configured, it comes from the role state file.
 *
 * <p>The two halves a unit runs are configured from the same file: the primary half (the local
 * unit's write path and replicator) gets the local keys with {@code remote.address = peer.address},
 * the secondary half (the receiver and applier) the remote keys. Neither half runs a front end or
 * the unit's control socket: the unit owns both, so the host's disk and the administrator's
 * socket stay the same across a role change.
 */
public record UnitConfig(Path source, LocalConfig primaryHalf, RemoteConfig secondaryHalf, FrontEndConfig frontEnd,
                         Path controlSocket) {

    /** Keys only the primary half knows. */
    private static final Set<String> PRIMARY_ONLY = Set.of("transport.connections", "transport.window-bytes",
            "transport.reconnect-backoff-ms", "transport.handshake-timeout-ms", "journal.path", "journal.size",
            "journal.full-timeout-ms", "journal.group-commit-bytes", "journal.high-water-percent", "ack.mode",
            "ack.sync-timeout-ms", "transport.rate-limit", "transport.send-blackout", "transport.send-coalesce-us");
    /** Keys only the secondary half knows. */
    private static final Set<String> SECONDARY_ONLY = Set.of("listen.address", "apply.reorder-window-bytes",
            "apply.inline-max-bytes", "remirror.pre-hook", "remirror.pre-hook-timeout-ms");
    private static final List<String> FRONT_END_KEYS = List.of("frontend", "frontend.name", "frontend.hw-max-sectors",
            "frontend.iscsi.iqn", "frontend.iscsi.portal");

    public static UnitConfig load(Path file) throws ConfigException {
        return parse(ConfigFile.read(file), Path.of(file.toString()));
    }

    public static UnitConfig parse(ConfigFile file, Path source) throws ConfigException {
        List<String> problems = new ArrayList<>(file.syntaxErrors().stream().map(e -> file.source() + " " + e).toList());
        ConfigFile.Entry volume = file.entries().get("volume.id");
        if (file.entries().containsKey("remote.address")) {
            ConfigFile.Entry e = file.entries().get("remote.address");
            problems.add(file.source() + " line " + e.line() + ": remote.address = " + e.value()
                    + ": a unit names its peer with peer.address (the peer's listen.address)");
        }
        ConfigFile.Entry peer = file.entries().get("peer.address");
        if (peer == null) {
            problems.add(file.source() + ": peer.address is required (host:port, the peer unit's listen.address)");
        }
        if (volume == null || !problems.isEmpty()) {
            if (volume == null) {
                problems.add(file.source() + ": volume.id is required");
            }
            throw new ConfigException(problems);
        }
        String id = volume.value();
        ConfigFile base = file.without("remote.address").without("peer.address");
        if (!base.entries().containsKey("state.dir")) {
            base = base.with("state.dir", "/var/lib/blockmirror/unit-" + id);
        }
        if (!base.entries().containsKey("heartbeat.listen")) {
            base = base.with("heartbeat.listen", "0.0.0.0:" + LocalConfig.DEFAULT_HEARTBEAT_PORT);
        }
        Path stateDir = Path.of(base.entries().get("state.dir").value());
        ConfigFile.Entry socket = base.entries().get("control.socket");
        Path controlSocket = socket != null ? Path.of(socket.value()) : Path.of("/run/blockmirror", "unit-" + id + ".sock");

        ConfigFile primaryView = base.with("remote.address", peer.value())
                .with("control.socket", stateDir.resolve("primary-half.sock").toString());
        ConfigFile secondaryView = base.with("control.socket", stateDir.resolve("secondary-half.sock").toString());
        for (String k : SECONDARY_ONLY) {
            primaryView = primaryView.without(k);
        }
        for (String k : PRIMARY_ONLY) {
            secondaryView = secondaryView.without(k);
        }
        ConfigFile primaryWithFrontEnd = primaryView;
        for (String k : FRONT_END_KEYS) {
            primaryView = primaryView.without(k);
            secondaryView = secondaryView.without(k);
        }
        Set<String> all = new LinkedHashSet<>(problems);
        LocalConfig primary = null;
        RemoteConfig secondary = null;
        FrontEndConfig frontEnd = null;
        try {
            frontEnd = LocalConfig.parse(primaryWithFrontEnd).frontEnd();
            primary = LocalConfig.parse(primaryView);
        } catch (ConfigException e) {
            all.addAll(e.problems());
        }
        try {
            secondary = RemoteConfig.parse(secondaryView);
        } catch (ConfigException e) {
            all.addAll(e.problems());
        }
        if (!all.isEmpty()) {
            throw new ConfigException(List.copyOf(all));
        }
        return new UnitConfig(source, primary, secondary, frontEnd, controlSocket);
    }

    public CommonConfig common() {
        return primaryHalf.common();
    }

    public String volumeId() {
        return common().volumeId();
    }

    public Path stateDir() {
        return common().stateDir();
    }

    /** The role state file of the volume (docs/roles.md §4). */
    public Path roleStateFile() {
        return stateDir().resolve("role-state");
    }

    /** Where this unit's secondary half listens. */
    public InetSocketAddress listenAddress() {
        return secondaryHalf.listenAddress();
    }

    /** The peer's listen address: where this unit's primary half connects. */
    public InetSocketAddress peerAddress() {
        return primaryHalf.remoteAddress();
    }
}
