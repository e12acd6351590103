package org.blockmirror.unit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.blockmirror.cli.CliRun;
import org.blockmirror.config.ConfigException;
import org.blockmirror.config.ConfigFile;
import org.blockmirror.volume.FileVolume;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `blockmirror unit` and `blockmirror role` as the administrator meets them: the unit's
 * configuration (one format for both sites, problems listed with file and line), `unit init` once
 * per unit, a unit without role state refusing to start, role commands without a running unit.
 */
class UnitCliTest {

    @TempDir
    Path dir;

    private static CliRun run(String... args) {
        return CliRun.of(args);
    }

    private Path config(String... extra) throws Exception {
        Path vol = dir.resolve("u.vol");
        if (Files.notExists(vol)) {
            FileVolume.createFile(vol, 4L << 20, 4096).close();
        }
        Path f = dir.resolve("unit.conf");
        Files.writeString(f, "volume.id = demo\n"
                + "volume.path = " + vol + "\n"
                + "volume.block-size = 4096\n"
                + "state.dir = " + dir.resolve("state") + "\n"
                + "control.socket = " + dir.resolve("u.sock") + "\n"
                + "journal.path = " + dir.resolve("journal") + "\n"
                + "journal.size = 64M\n"
                + "heartbeat.listen = 127.0.0.1:" + freePort() + "\n"
                + "heartbeat.peer = 127.0.0.1:9\n"
                + String.join("\n", extra) + "\n");
        return f;
    }

    private static int freePort() throws java.io.IOException {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Test
    void oneFileConfiguresBothHalves() throws Exception {
        UnitConfig c = UnitConfig.load(config("peer.address = 10.0.0.2:7789", "listen.address = 10.0.0.1:7789",
                "ack.mode = sync", "apply.reorder-window-bytes = 32M", "frontend = loopback",
                "transport.send-coalesce-us = 300", "apply.inline-max-bytes = 64K"));
        assertEquals("10.0.0.2", c.peerAddress().getHostString());
        assertEquals(300, c.primaryHalf().sendCoalesceMicros());
        assertEquals(64L << 10, c.secondaryHalf().inlineApplyMaxBytes());
        assertEquals(7789, c.listenAddress().getPort());
        assertEquals("sync", c.primaryHalf().ackMode().name().toLowerCase());
        assertEquals(32L << 20, c.secondaryHalf().reorderWindowBytes());
        assertTrue(c.frontEnd().enabled(), "the unit owns the front end");
        assertFalse(c.primaryHalf().frontEnd().enabled());
        assertFalse(c.secondaryHalf().frontEnd().enabled());
        assertEquals(dir.resolve("u.sock"), c.controlSocket());
        assertEquals(dir.resolve("state").resolve("role-state"), c.roleStateFile());
        assertEquals(c.primaryHalf().common().stateDir(), c.secondaryHalf().common().stateDir());
    }

    @Test
    void everyProblemIsListedOnce() throws Exception {
        Path f = config("remote.address = 10.0.0.2:7789", "transport.connections = 0", "apply.reorder-window-bytes = 1K",
                "bogus.key = 1");
        ConfigException e = org.junit.jupiter.api.Assertions.assertThrows(ConfigException.class, () -> UnitConfig.load(f));
        List<String> p = e.problems();
        assertEquals(f + " line 10: remote.address = 10.0.0.2:7789: a unit names its peer with peer.address (the"
                + " peer's listen.address)", p.get(0));
        assertEquals(f + ": peer.address is required (host:port, the peer unit's listen.address)", p.get(1));
        assertEquals(2, p.size(), "the halves are checked once the peer is named: " + p);

        Path g = config("peer.address = 10.0.0.2:7789", "transport.connections = 0", "apply.reorder-window-bytes = 1K",
                "bogus.key = 1");
        p = org.junit.jupiter.api.Assertions.assertThrows(ConfigException.class, () -> UnitConfig.load(g)).problems();
        assertTrue(p.contains(g + " line 11: transport.connections = 0: must be between 1 and 64"), p.toString());
        assertTrue(p.stream().anyMatch(x -> x.startsWith(g + " line 12: apply.reorder-window-bytes = 1K")), p.toString());
        assertEquals(1, p.stream().filter(x -> x.contains("bogus.key")).count(), "reported once, not per half: " + p);
    }

    @Test
    void initOnceThenTheUnitNeedsItsRoleState() throws Exception {
        Path f = config("peer.address = 127.0.0.1:9", "listen.address = 127.0.0.1:" + freePort());
        CliRun noState = run("unit", "--config", f.toString());
        assertEquals(1, noState.exit());
        assertTrue(noState.err().startsWith("blockmirror unit: cannot start: " + dir.resolve("state").resolve("role-state")
                + ": role state file for volume 'demo' is missing."), noState.err());
        assertTrue(noState.err().contains("A new unit is set up with 'blockmirror unit init --role primary|secondary"
                + " --config " + f + "'"), noState.err());

        CliRun init = run("unit", "init", "--role", "secondary", "--config", f.toString());
        assertEquals(0, init.exit(), init.err());
        assertTrue(init.out().contains("role state " + dir.resolve("state").resolve("role-state") + " created: SECONDARY"),
                init.out());
        CliRun again = run("unit", "init", "--role", "primary", "--config", f.toString());
        assertEquals(1, again.exit());
        assertTrue(again.err().contains("the role state file already exists (role SECONDARY current=none"), again.err());
        CliRun bad = run("unit", "init", "--role", "boss", "--config", f.toString());
        assertEquals(2, bad.exit());
        assertEquals("blockmirror unit init: --role must be primary or secondary, not 'boss'", bad.err().strip());

        CliRun refused = run("unit", "--config", config("volume.id = demo2").toString());
        assertEquals(2, refused.exit());
        assertTrue(refused.err().startsWith("blockmirror unit: configuration refused:"), refused.err());
    }

    @Test
    void roleCommandsNeedARunningUnit() throws Exception {
        Path f = config("peer.address = 127.0.0.1:9");
        CliRun r = run("role", "show", "--config", f.toString());
        assertEquals(1, r.exit());
        assertEquals("blockmirror role show: no daemon is listening: control socket " + dir.resolve("u.sock")
                + " does not exist", r.err().strip());
        CliRun both = run("role", "resolve", "--keep-local", "--keep-peer", "--config", f.toString());
        assertEquals(2, both.exit());
        assertTrue(both.err().contains("mutually exclusive"), both.err());
    }

    @Test
    void theUnitsDefaultSocketIsFoundFromItsFile() throws Exception {
        Path f = dir.resolve("min.conf");
        Files.writeString(f, "volume.id = vol7\npeer.address = 127.0.0.1:9\n");
        ConfigFile file = ConfigFile.read(f);
        assertEquals("vol7", file.entries().get("volume.id").value());
        CliRun r = run("status", "--config", f.toString());
        assertEquals("blockmirror status: no daemon is listening: control socket /run/blockmirror/unit-vol7.sock does"
                + " not exist", r.err().strip());
    }
}
