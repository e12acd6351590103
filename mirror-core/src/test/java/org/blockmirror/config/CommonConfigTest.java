package org.blockmirror.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

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
}
