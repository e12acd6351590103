package org.blockmirror.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.blockmirror.alert.AlertConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CommonConfigTest {

    private static List<String> problems(String text) {
        ConfigReader r = new ConfigReader(ConfigFile.parse("t.conf", "volume.id = v\nvolume.path = /dev/null\n"
                + "heartbeat.peer = 127.0.0.1:1\n" + text));
        CommonConfig.read(r, "local", 7790);
        return assertThrows(ConfigException.class, r::finish).problems();
    }

    @Test
    void heartbeatTimingsThatTheStateMachineRefusesAreConfigErrors() {
        assertEquals(List.of("t.conf line 4: heartbeat.probation-ms = 0: must be between 1 and 3600000"),
                problems("heartbeat.probation-ms = 0\n"));
        assertEquals(List.of("t.conf line 5: heartbeat.probation-gap-ms = 5000: must not exceed heartbeat.timeout-ms "
                        + "(4000): a gap that long already takes the link DOWN"),
                problems("heartbeat.timeout-ms = 4000\nheartbeat.probation-gap-ms = 5000\n"));
    }

    @TempDir
    Path dir;

    @Test
    void theAlertHookMustBeAnExecutableFileGivenByAbsolutePath() throws Exception {
        Path hook = dir.resolve("hook.sh");
        Files.writeString(hook, "#!/bin/sh\n");
        Files.setPosixFilePermissions(hook, PosixFilePermissions.fromString("rw-------"));
        Path missing = dir.resolve("nope");
        assertEquals(List.of(
                        "t.conf line 4: alert.hook = hook.sh: must be an absolute path to an executable file",
                        "t.conf line 5: alert.hook-timeout-ms = 50: must be between 100 and 600000"),
                problems("alert.hook = hook.sh\nalert.hook-timeout-ms = 50\n"));
        assertEquals(List.of("t.conf line 4: alert.hook = " + missing + ": no such file"),
                problems("alert.hook = " + missing + "\n"));
        assertEquals(List.of("t.conf line 4: alert.hook = " + dir + ": not a regular file"),
                problems("alert.hook = " + dir + "\n"));
        assertEquals(List.of("t.conf line 4: alert.hook = " + hook + ": not executable (chmod +x)"),
                problems("alert.hook = " + hook + "\n"));

        Files.setPosixFilePermissions(hook, PosixFilePermissions.fromString("rwx------"));
        ConfigReader r = new ConfigReader(ConfigFile.parse("t.conf", "volume.id = v\nvolume.path = /dev/null\n"
                + "heartbeat.peer = 127.0.0.1:1\nalert.hook = " + hook + "\nalert.hook-timeout-ms = 2500\n"));
        CommonConfig c = CommonConfig.read(r, "local", 7790);
        r.finish();
        assertEquals(new AlertConfig(hook, 2500), c.alert());
    }

    @Test
    void noAlertHookByDefault() throws Exception {
        ConfigReader r = new ConfigReader(ConfigFile.parse("t.conf", "volume.id = v\nvolume.path = /dev/null\n"
                + "heartbeat.peer = 127.0.0.1:1\n"));
        CommonConfig c = CommonConfig.read(r, "remote", 7791);
        r.finish();
        assertEquals(AlertConfig.none(), c.alert());
    }
}
