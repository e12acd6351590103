package org.blockmirror.cli;

import static org.blockmirror.cli.BackgroundWrites.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.blockmirror.Version;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command line as an administrator meets it: refused configurations list every problem
 * with file, line, key and allowed values (exit 2, no stack trace); run-time failures exit 1
 * with a clear message; {@code status} talks to a running daemon.
 */
class ConfigCliTest {

    @TempDir
    Path dir;

    private static CliRun run(String... args) {
        return CliRun.of(args);
    }

    private Path write(String name, String... lines) throws Exception {
        Path file = dir.resolve(name);
        Files.writeString(file, String.join("\n", lines) + "\n");
        return file;
    }

    private static void assertNoStackTrace(CliRun r) {
        assertFalse(r.err().contains("\tat ") || r.err().contains("Exception"), "stack trace printed:\n" + r.err());
    }

    private static void assertLines(String text, List<String> expected) {
        for (String line : expected) {
            assertTrue(text.lines().anyMatch(l -> l.strip().equals(line)), "missing line\n  " + line + "\nin\n" + text);
        }
    }

    @Test
    void localRefusesABadConfigurationListingEveryProblem() throws Exception {
        Path conf = write("local.conf",
                "# a local unit with many mistakes",                  // 1
                "volume.id = vol1",                                   // 2
                "volume.path = " + dir.resolve("local.vol"),          // 3
                "volume.block-size = 1000",                           // 4
                "state.dir = " + dir.resolve("state"),                // 5
                "control.socket = " + dir.resolve("local.sock"),      // 6
                "journal.path = " + dir.resolve("journal"),           // 7
                "journal.size = lots",                                // 8
                "transport.connections = 0",                          // 9
                "heartbeat.interval-ms = 500",                        // 10
                "heartbeat.timeout-ms = 500",                         // 11
                "heartbeat.peer = 127.0.0.1:7791",                    // 12
                "tranport.window-bytes = 64M");                       // 13
        CliRun r = run("local", "--config", conf.toString());
        assertEquals(BlockmirrorCommand.EXIT_BAD_CONFIG, r.exit(), r.err());
        assertEquals("blockmirror local: configuration refused:", r.err().lines().findFirst().orElse(""));
        assertLines(r.err(), List.of(
                conf + " line 4: volume.block-size = 1000: must be one of 512, 4096",
                conf + " line 8: journal.size = lots: not a size (allowed 1 MiB to 1024 TiB; examples: 1048576, "
                        + "512K, 64M, 10G)",
                conf + " line 9: transport.connections = 0: must be between 1 and 64",
                conf + " line 11: heartbeat.timeout-ms = 500: must be greater than heartbeat.interval-ms (500), "
                        + "or every heartbeat would arrive too late",
                conf + " line 13: tranport.window-bytes = 64M: unknown key",
                conf + ": remote.address is required (host:port)"));
        assertEquals(7, r.err().lines().count(), "one line per problem:\n" + r.err());
        assertNoStackTrace(r);
        assertFalse(Files.exists(dir.resolve("journal")), "a refused configuration must not touch the journal");
    }

    @Test
    void outOfRangeSizesNameTheAllowedRange() throws Exception {
        Path conf = write("local.conf",
                "volume.id = vol1",
                "volume.path = " + dir.resolve("local.vol"),
                "journal.path = " + dir.resolve("journal"),
                "journal.size = 4096T",
                "remote.address = 127.0.0.1:7789",
                "heartbeat.peer = 127.0.0.1:7791",
                "transport.connections = many");
        CliRun r = run("local", "--config", conf.toString());
        assertEquals(BlockmirrorCommand.EXIT_BAD_CONFIG, r.exit());
        assertLines(r.err(), List.of(
                conf + " line 4: journal.size = 4096T: must be between 1 MiB and 1024 TiB",
                conf + " line 7: transport.connections = many: not a whole number (allowed 1 to 64)"));
        assertNoStackTrace(r);
    }

    @Test
    void remoteRefusesABadConfigurationListingEveryProblem() throws Exception {
        Path conf = write("remote.conf",
                "volume.id = bad name!",                              // 1
                "volume.path = " + dir.resolve("remote.vol"),         // 2
                "volume.block-size = 4k",                             // 3
                "listen.address = 127.0.0.1:70000",                   // 4
                "apply.reorder-window-bytes = 1K",                    // 5
                "heartbeat.interval-ms = 2000",                       // 6
                "heartbeat.timeout-ms = 1000",                        // 7
                "journal.size = 1G");                                 // 8: local-only key
        CliRun r = run("remote", "--config", conf.toString());
        assertEquals(BlockmirrorCommand.EXIT_BAD_CONFIG, r.exit(), r.err());
        assertEquals("blockmirror remote: configuration refused:", r.err().lines().findFirst().orElse(""));
        assertLines(r.err(), List.of(
                conf + " line 1: volume.id = bad name!: must be 1 to 64 letters, digits, '.', '_' or '-', starting "
                        + "with a letter or digit",
                conf + " line 3: volume.block-size = 4k: must be one of 512, 4096",
                conf + " line 4: listen.address = 127.0.0.1:70000: port must be between 1 and 65535",
                conf + " line 5: apply.reorder-window-bytes = 1K: must be between 1 MiB and 16 GiB",
                conf + " line 7: heartbeat.timeout-ms = 1000: must be greater than heartbeat.interval-ms (2000), "
                        + "or every heartbeat would arrive too late",
                conf + " line 8: journal.size = 1G: unknown key",
                conf + ": heartbeat.peer is required (host:port)"));
        assertNoStackTrace(r);
    }

    @Test
    void aMissingConfigurationFileIsRefusedClearly() {
        Path missing = dir.resolve("nowhere.conf");
        for (String role : List.of("local", "remote")) {
            CliRun r = run(role, "--config", missing.toString());
            assertEquals(BlockmirrorCommand.EXIT_BAD_CONFIG, r.exit(), role);
            assertLines(r.err(), List.of("blockmirror " + role + ": configuration refused:",
                    missing + ": configuration file does not exist"));
            assertNoStackTrace(r);
        }
    }

    @Test
    void aVolumeThatDoesNotExistStopsTheDaemonAtStart() throws Exception {
        Path missingVolume = dir.resolve("missing.vol");
        Path local = write("local.conf",
                "volume.id = vol1",
                "volume.path = " + missingVolume,
                "state.dir = " + dir.resolve("local-state"),
                "control.socket = " + dir.resolve("local.sock"),
                "journal.path = " + dir.resolve("journal"),
                "journal.size = 64M",
                "remote.address = 127.0.0.1:7789",
                "heartbeat.listen = 127.0.0.1:7790",
                "heartbeat.peer = 127.0.0.1:7791");
        CliRun r = run("local", "--config", local.toString());
        assertEquals(BlockmirrorCommand.EXIT_FAILURE, r.exit(), r.err());
        assertLines(r.err(), List.of("blockmirror local: cannot start: volume " + missingVolume + " does not exist"));
        assertNoStackTrace(r);

        Path remote = write("remote.conf",
                "volume.id = vol1",
                "volume.path = " + missingVolume,
                "state.dir = " + dir.resolve("remote-state"),
                "control.socket = " + dir.resolve("remote.sock"),
                "listen.address = 127.0.0.1:7789",
                "heartbeat.listen = 127.0.0.1:7791",
                "heartbeat.peer = 127.0.0.1:7790");
        r = run("remote", "--config", remote.toString());
        assertEquals(BlockmirrorCommand.EXIT_FAILURE, r.exit(), r.err());
        assertLines(r.err(), List.of("blockmirror remote: cannot start: volume " + missingVolume + " does not exist"));
        assertNoStackTrace(r);
    }

    @Test
    void aFrontEndOnAKernelWithoutLioStopsTheDaemonNamingWhatIsMissing() throws Exception {
        Assumptions.assumeFalse(Files.isDirectory(Path.of("/sys/kernel/config/target")),
                "this machine has LIO; the real-kernel path is tested by scripts/vm/kernel-tests.sh");
        Path volume = dir.resolve("fe.vol");
        Files.write(volume, new byte[1 << 20]);
        int hbPort;
        try (java.net.DatagramSocket free = new java.net.DatagramSocket(0)) {
            hbPort = free.getLocalPort();
        }
        Path local = write("local-fe.conf",
                "volume.id = vol1",
                "volume.path = " + volume,
                "state.dir = " + dir.resolve("local-state"),
                "control.socket = " + dir.resolve("local.sock"),
                "journal.path = " + dir.resolve("journal"),
                "journal.size = 64M",
                "remote.address = 127.0.0.1:7789",
                "heartbeat.listen = 127.0.0.1:" + hbPort,
                "heartbeat.peer = 127.0.0.1:7791",
                "frontend = loopback");
        CliRun r = run("local", "--config", local.toString());
        assertEquals(BlockmirrorCommand.EXIT_FAILURE, r.exit(), r.err());
        String expected = Files.isDirectory(Path.of("/sys/kernel/config"))
                ? "blockmirror local: cannot start: LIO is not available: /sys/kernel/config/target does not exist"
                : "blockmirror local: cannot start: the kernel has no configfs (/sys/kernel/config does not exist); "
                        + "the SCSI front end needs configfs, LIO (target_core_mod) and TCMU (target_core_user)";
        assertTrue(r.err().strip().startsWith(expected), r.err());
        assertNoStackTrace(r);
    }

    @Test
    void statusWithoutADaemonFailsClearly() {
        CliRun r = run("status", "--socket", "/nonexistent");
        assertEquals(BlockmirrorCommand.EXIT_FAILURE, r.exit());
        assertLines(r.err(), List.of(
                "blockmirror status: no daemon is listening: control socket /nonexistent does not exist"));
        assertNoStackTrace(r);
    }

    @Test
    void statusOfARunningPairAsJson() throws Exception {
        try (LoopbackPair pair = LoopbackPair.start(dir.resolve("pair"), LoopbackPair.Options.defaults()
                .withVolumeBytes(4L << 20).withJournalBytes(64L << 20).withConnections(2)
                .withHeartbeat(100, 1000, 500))) {
            // (and the initial sync of the new pair is done)
            await("replication is up", 10_000, () -> pair.local().status().replication().connectionsUp() == 2
                    && pair.local().status().replication().phase().equals("STREAMING"));
            pair.local().device().write(0, WriteWorkload.fill(1, 0, 4, 4096)).get();
            assertTrue(pair.local().awaitDrained(10, java.util.concurrent.TimeUnit.SECONDS));

            CliRun r = run("status", "--config", pair.localConfig().toString(), "--json");
            assertEquals(0, r.exit(), r.err());
            JsonNode status = new ObjectMapper().readTree(r.out());
            assertEquals("local", status.path("role").asText());
            assertEquals(Version.current(), status.path("version").asText());
            assertEquals("UP", status.path("link").path("state").asText());
            assertEquals("STREAMING", status.path("replication").path("phase").asText());
            assertEquals(2, status.path("replication").path("connectionsUp").asInt());
            assertEquals(2, status.path("replication").path("connectionsConfigured").asInt());
            long capacity = status.path("journal").path("capacityBytes").asLong();
            assertTrue(capacity > 63L << 20 && capacity <= 64L << 20, "journal capacity " + capacity);
            assertEquals(pair.dir().resolve("journal").toString(), status.path("journal").path("path").asText());
            assertEquals(4, status.path("blocks").path("written").asLong());
            assertEquals(4, status.path("blocks").path("acked").asLong());
            assertEquals(0, status.path("lagRecords").asLong());
            assertTrue(status.path("alerts").isArray());
            assertEquals(0, status.path("alerts").size(), status.path("alerts").toString());

            CliRun remote = run("status", "--config", pair.remoteConfig().toString(), "--json");
            assertEquals(0, remote.exit(), remote.err());
            JsonNode rs = new ObjectMapper().readTree(remote.out());
            assertEquals("remote", rs.path("role").asText());
            assertEquals(1, rs.path("appliedSeq").asLong());
            assertEquals(pair.local().unitId().toString(), rs.path("attachedLocalUnit").asText());

            CliRun text = run("status", "--config", pair.localConfig().toString());
            assertEquals(0, text.exit());
            assertLines(text.out(), List.of("role: local", "state: UP", "alerts: none"));
        }
    }
}
