package org.blockmirror.cli;

import static org.blockmirror.cli.BackgroundWrites.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.blockmirror.alert.AlertKind;
import org.blockmirror.local.LocalStatus;
import org.blockmirror.time.SettableClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Alerts end to end (SPEC F21): a real pair on loopback with an {@code alert.hook} script on both
 * units. Cutting the link raises LINK_DOWN — in the status of both units and through the hook
 * with its arguments and environment — and restoring it clears it again. Journal use held back
 * by a send blackout crosses the high-water mark, which clears once the backlog drains.
 */
class AlertHookPairTest {

    @TempDir
    Path dir;

    private Path hook(String name, Path log) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, "#!/bin/sh\n"
                + "echo \"$1 $2 $3 $BLOCKMIRROR_ROLE $BLOCKMIRROR_EVENT $BLOCKMIRROR_STATE\" >> " + log + "\n");
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwx------"));
        return p;
    }

    /** What {@code blockmirror status --config F} prints. */
    private static synchronized String statusText(Path config) {
        PrintStream old = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            assertEquals(0, BlockmirrorCommand.execute("status", "--config", config.toString()));
        } finally {
            System.setOut(old);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /** The hook's lines about {@code kind}, without other alerts that may come and go. */
    private static List<String> lines(Path log, AlertKind kind) {
        try {
            return Files.exists(log)
                    ? Files.readAllLines(log).stream().filter(l -> l.startsWith(kind.name() + " ")).toList()
                    : List.of();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void cuttingTheLinkRaisesLinkDownThroughTheHookAndRestoringItClearsIt() throws Exception {
        Path localLog = dir.resolve("local-hook.log");
        Path remoteLog = dir.resolve("remote-hook.log");
        try (LoopbackPair pair = LoopbackPair.prepare(dir.resolve("pair"), LoopbackPair.Options.defaults()
                .withVolumeBytes(4L << 20).withJournalBytes(64L << 20).withConnections(2)
                .withHeartbeat(100, 500, 500))) {
            pair.configureLocal("alert.hook = " + hook("local-hook", localLog), "alert.hook-timeout-ms = 5000");
            pair.configureRemote("alert.hook = " + hook("remote-hook", remoteLog));
            pair.startRemote();
            pair.startLocal();
            await("replication is up", 10_000, () -> pair.local().status().replication().connectionsUp() == 2);
            assertEquals(List.of(), pair.local().status().alerts());

            pair.link().cut();
            String raised = "LINK_DOWN raised demo local LINK_DOWN raised";
            await("the local hook ran for LINK_DOWN", 10_000,
                    () -> lines(localLog, AlertKind.LINK_DOWN).equals(List.of(raised)));
            await("the remote hook ran for LINK_DOWN", 10_000, () -> lines(remoteLog, AlertKind.LINK_DOWN)
                    .equals(List.of("LINK_DOWN raised demo remote LINK_DOWN raised")));

            LocalStatus s = pair.local().status();
            assertEquals(List.of(AlertKind.LINK_DOWN), s.alerts().stream().map(a -> a.kind()).toList());
            assertTrue(s.alerts().get(0).message().contains("link DOWN"), s.alerts().get(0).message());
            // the JSON the control socket serves: a list of {kind, message, sinceMillis}
            JsonNode json = new ObjectMapper().valueToTree(s).path("alerts").get(0);
            assertEquals("LINK_DOWN", json.path("kind").asText());
            assertEquals(s.alerts().get(0).message(), json.path("message").asText());
            long since = json.path("sinceMillis").asLong();
            assertTrue(Math.abs(System.currentTimeMillis() - since) < 60_000, "sinceMillis " + since);
            assertEquals(List.of(AlertKind.LINK_DOWN),
                    pair.remote().status().alerts().stream().map(a -> a.kind()).toList());
            String text = statusText(pair.localConfig());
            String expected = "- LINK_DOWN since " + Instant.ofEpochMilli(since) + ": " + s.alerts().get(0).message();
            assertTrue(text.lines().anyMatch(l -> l.strip().equals(expected)), "no line\n" + expected + "\nin\n" + text);

            pair.link().restore();
            await("the local hook ran for the cleared LINK_DOWN", 15_000, () -> lines(localLog, AlertKind.LINK_DOWN)
                    .equals(List.of(raised, "LINK_DOWN cleared demo local LINK_DOWN cleared")));
            await("the remote hook ran for the cleared LINK_DOWN", 15_000, () -> lines(remoteLog, AlertKind.LINK_DOWN)
                    .equals(List.of("LINK_DOWN raised demo remote LINK_DOWN raised",
                            "LINK_DOWN cleared demo remote LINK_DOWN cleared")));
            assertTrue(pair.local().status().alerts().stream().noneMatch(a -> a.kind() == AlertKind.LINK_DOWN));
            assertTrue(pair.remote().status().alerts().isEmpty(), pair.remote().status().alerts().toString());
        }
    }

    @Test
    void theJournalHighWaterMarkIsRaisedWhileABlackoutFillsTheJournalAndClearedWhenItDrains() throws Exception {
        Path localLog = dir.resolve("local-hook.log");
        SettableClock timeOfDay = new SettableClock(Instant.parse("2024-06-03T09:00:00Z"), ZoneOffset.UTC);
        try (LoopbackPair pair = LoopbackPair.prepare(dir.resolve("pair"), LoopbackPair.Options.defaults()
                .withVolumeBytes(16L << 20).withJournalBytes(64L << 20).withConnections(2)
                .withHeartbeat(100, 1000, 300))) {
            pair.configureLocal("alert.hook = " + hook("local-hook", localLog), "journal.high-water-percent = 10",
                    "transport.send-blackout = 08:00-17:00");
            pair.startRemote();
            pair.startLocal(timeOfDay);
            await("the session is open", 10_000, () -> pair.local().status().replication().connectionsUp() == 2);

            // 8 MiB held back by the blackout: more than 10% of the 64 MiB journal
            List<CompletableFuture<Void>> writes = new ArrayList<>();
            for (int i = 0; i < 32; i++) {
                writes.add(pair.local().device().write(i * 64L, WriteWorkload.fill(i, i * 64L, 64, 4096)));
            }
            CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new)).get(20, TimeUnit.SECONDS);
            await("the hook ran for the high-water mark", 10_000, () -> lines(localLog, AlertKind.JOURNAL_HIGH_WATER)
                    .equals(List.of("JOURNAL_HIGH_WATER raised demo local JOURNAL_HIGH_WATER raised")));
            LocalStatus s = pair.local().status();
            assertEquals(10, s.journal().highWaterPercent());
            assertTrue(s.alerts().stream().anyMatch(a -> a.kind() == AlertKind.JOURNAL_HIGH_WATER
                    && a.message().endsWith("% unacknowledged (high-water mark 10%)")), s.alerts().toString());

            timeOfDay.set(Instant.parse("2024-06-03T17:00:00Z"));
            assertTrue(pair.local().awaitDrained(15, TimeUnit.SECONDS), "not drained: " + pair.local().status());
            await("the hook ran for the cleared high-water mark", 10_000,
                    () -> lines(localLog, AlertKind.JOURNAL_HIGH_WATER).equals(List.of(
                            "JOURNAL_HIGH_WATER raised demo local JOURNAL_HIGH_WATER raised",
                            "JOURNAL_HIGH_WATER cleared demo local JOURNAL_HIGH_WATER cleared")));
            assertTrue(pair.local().status().alerts().isEmpty(), pair.local().status().alerts().toString());
        }
    }
}
