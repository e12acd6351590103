package org.blockmirror.alert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.blockmirror.testing.LogCapture;
import org.blockmirror.time.FakeClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The hook command, run for real: shell scripts written to a temporary directory. */
class AlertHookTest {

    @TempDir
    Path dir;

    private final FakeClock clock = new FakeClock(1_700_000_000_000L);

    private Path script(String name, String body) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, "#!/bin/sh\n" + body);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwx------"));
        return p;
    }

    private static void await(String what, long millis, BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(10);
        }
    }

    private List<String> lines(Path p) throws IOException {
        return Files.exists(p) ? Files.readAllLines(p) : List.of();
    }

    @Test
    void theHookGetsTheEventAsArgumentsAndEnvironment() throws Exception {
        Path out = dir.resolve("out");
        Path hook = script("hook", "printf '%s|%s|%s|%s|%s\\n' \"$#\" \"$1\" \"$2\" \"$3\" \"$4\" >> " + out + "\n"
                + "echo \"env|$BLOCKMIRROR_EVENT|$BLOCKMIRROR_STATE|$BLOCKMIRROR_VOLUME|$BLOCKMIRROR_ROLE"
                + "|$BLOCKMIRROR_MESSAGE|$BLOCKMIRROR_TIME\" >> " + out + "\n");
        try (AlertHook runner = new AlertHook(hook, 5_000)) {
            AlertCenter center = new AlertCenter("local", "db01", clock, runner);
            center.raise(AlertKind.JOURNAL_HIGH_WATER, "journal 81.5% used (high-water mark 80%)");
            clock.advanceMillis(1_500);
            center.clear(AlertKind.JOURNAL_HIGH_WATER, "journal 60.0% used");
            await("both hooks ran", 10_000, () -> runner.finished() == 2);
        }
        String t0 = Instant.ofEpochMilli(1_700_000_000_000L).toString();
        String t1 = Instant.ofEpochMilli(1_700_000_001_500L).toString();
        assertEquals(List.of(
                "4|JOURNAL_HIGH_WATER|raised|db01|journal 81.5% used (high-water mark 80%)",
                "env|JOURNAL_HIGH_WATER|raised|db01|local|journal 81.5% used (high-water mark 80%)|" + t0,
                "4|JOURNAL_HIGH_WATER|cleared|db01|journal 60.0% used",
                "env|JOURNAL_HIGH_WATER|cleared|db01|local|journal 60.0% used|" + t1), lines(out));
    }

    @Test
    void hooksRunOneAtATimeInTheOrderOfTheChangesWithoutBlockingTheCaller() throws Exception {
        Path out = dir.resolve("out");
        // slow enough that the changes queue up behind the first run
        Path hook = script("hook", "sleep 0.2\necho \"$1 $2\" >> " + out + "\n");
        List<String> expected = new ArrayList<>();
        try (AlertHook runner = new AlertHook(hook, 5_000)) {
            AlertCenter center = new AlertCenter("remote", "v", clock, runner);
            long started = System.nanoTime();
            for (int i = 0; i < 3; i++) {
                center.raise(AlertKind.LINK_DOWN, "down " + i);
                center.raise(AlertKind.REPLICATION_ERROR, "error " + i);
                center.clear(AlertKind.LINK_DOWN, "up " + i);
                center.clear(AlertKind.REPLICATION_ERROR, "ok " + i);
                expected.addAll(List.of("LINK_DOWN raised", "REPLICATION_ERROR raised", "LINK_DOWN cleared",
                        "REPLICATION_ERROR cleared"));
            }
            long callerMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
            assertTrue(callerMillis < 1_000, "raising and clearing took " + callerMillis
                    + " ms: the caller waited for the hooks (12 × 200 ms)");
            assertTrue(runner.finished() < 12, "the hooks ran synchronously");
            await("every hook ran", 30_000, () -> runner.finished() == 12);
        }
        assertEquals(expected, lines(out));
    }

    @Test
    void aHookRunningLongerThanTheTimeoutIsKilledAndLaterHooksStillRun() throws Exception {
        Path pid = dir.resolve("pid");
        Path out = dir.resolve("out");
        Path hook = script("hook", "echo \"$2\" >> " + out + "\n"
                + "if [ \"$2\" = raised ]; then echo hanging; echo $$ > " + pid + "; exec sleep 60; fi\n");
        try (LogCapture logs = new LogCapture(AlertHook.class).withInfo(); AlertHook runner = new AlertHook(hook, 300)) {
            AlertCenter center = new AlertCenter("local", "v", clock, runner);
            long started = System.nanoTime();
            center.raise(AlertKind.LINK_DOWN, "down");
            center.clear(AlertKind.LINK_DOWN, "up");
            await("both hooks ran", 10_000, () -> runner.finished() == 2);
            long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
            assertTrue(tookMillis >= 300 && tookMillis < 8_000, "took " + tookMillis + " ms");

            long hungPid = Long.parseLong(Files.readString(pid).strip());
            assertFalse(ProcessHandle.of(hungPid).map(ProcessHandle::isAlive).orElse(false),
                    "the hung hook (pid " + hungPid + ") is still running");
            assertEquals(List.of("raised", "cleared"), lines(out));
            List<String> warnings = logs.messages(Level.WARN);
            assertEquals(1, warnings.size(), warnings.toString());
            assertTrue(warnings.get(0).matches("alert hook " + hook + " LINK_DOWN raised: killed after \\d+ ms "
                    + "\\(alert.hook-timeout-ms\\); output: hanging"), warnings.get(0));
            assertEquals(List.of("alert hook " + hook + " LINK_DOWN cleared: exit status 0 after "),
                    logs.messages(Level.INFO).stream().map(m -> m.replaceFirst("\\d+ ms.*", "")).toList());
        }
    }

    @Test
    void aFailingOrMissingHookIsLoggedAndChangesNothingElse() throws Exception {
        Path hook = script("hook", "echo \"cannot page anyone: $1\" >&2\necho second line\nexit 3\n");
        try (LogCapture logs = new LogCapture(AlertHook.class); AlertHook runner = new AlertHook(hook, 5_000)) {
            AlertCenter center = new AlertCenter("local", "v", clock, runner);
            center.raise(AlertKind.JOURNAL_FULL, "journal full");
            await("the hook ran", 10_000, () -> runner.finished() == 1);
            Files.delete(hook);
            center.clear(AlertKind.JOURNAL_FULL, "room again");
            await("the hook was tried", 10_000, () -> runner.finished() == 2);
            assertTrue(center.active().isEmpty());

            List<String> warnings = logs.messages(Level.WARN);
            assertEquals(2, warnings.size(), warnings.toString());
            assertTrue(warnings.get(0).matches("alert hook " + hook + " JOURNAL_FULL raised: exit status 3 after "
                    + "\\d+ ms; output: cannot page anyone: JOURNAL_FULL"), warnings.get(0));
            assertTrue(warnings.get(1).startsWith("alert hook " + hook + " JOURNAL_FULL cleared: cannot run it: "),
                    warnings.get(1));
        }
    }

    @Test
    void noHookConfiguredMeansNoRunner() {
        assertEquals(AlertListener.NONE, AlertHook.of(AlertConfig.none()));
    }
}
