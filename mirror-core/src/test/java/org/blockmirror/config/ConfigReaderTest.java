package org.blockmirror.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

class ConfigReaderTest {

    enum Mode { ASYNC, SYNC }

    private static ConfigReader reader(String text) {
        return new ConfigReader(ConfigFile.parse("test.conf", text));
    }

    @Test
    void readsTypedValuesAndDefaults() throws Exception {
        ConfigReader r = reader("""
                # a comment
                transport.connections = 8
                journal.size = 64M   # inline comment
                remote.address = example.org:7789
                ack.mode = sync
                """);
        assertEquals(8, r.intInRange("transport.connections", 4, 1, 64));
        assertEquals(64L << 20, r.size("journal.size", 0, 1 << 20, Long.MAX_VALUE));
        InetSocketAddress a = r.address("remote.address", null);
        assertEquals("example.org", a.getHostString());
        assertEquals(7789, a.getPort());
        assertEquals(Mode.SYNC, r.choice("ack.mode", Mode.class, Mode.ASYNC));
        assertEquals(1500, r.longInRange("heartbeat.interval-ms", 1500, 10, 60000));
        r.finish();
    }

    @Test
    void everyProblemIsReportedWithLineKeyAndRange() {
        ConfigReader r = reader("""
                transport.connections = 0
                journal.size = lots
                remote.address = nohostport
                ack.mode = maybe
                transport.conections = 4
                garbage line
                """);
        r.intInRange("transport.connections", 4, 1, 64);
        r.size("journal.size", 0, 1 << 20, Long.MAX_VALUE);
        r.address("remote.address", null);
        r.choice("ack.mode", Mode.class, Mode.ASYNC);
        r.requiredPath("journal.path", "the journal file or device");
        ConfigException e = assertThrows(ConfigException.class, r::finish);
        String m = e.getMessage();
        assertTrue(m.contains("test.conf line 1: transport.connections = 0: must be between 1 and 64"), m);
        assertTrue(m.contains("line 2: journal.size = lots: not a size"), m);
        assertTrue(m.contains("line 3: remote.address = nohostport: expected host:port"), m);
        assertTrue(m.contains("line 4: ack.mode = maybe: must be one of async, sync"), m);
        assertTrue(m.contains("line 5: transport.conections = 4: unknown key"), m);
        assertTrue(m.contains("line 6: expected 'key = value'"), m);
        assertTrue(m.contains("journal.path is required"), m);
        assertEquals(7, e.problems().size(), m);
    }

    @Test
    void duplicateKeysAreAnError() {
        ConfigReader r = reader("a = 1\na = 2\n");
        r.string("a", "");
        ConfigException e = assertThrows(ConfigException.class, r::finish);
        assertTrue(e.getMessage().contains("line 2: a is already set on line 1"), e.getMessage());
    }

    @Test
    void sizesWithUnits() {
        assertEquals(4096L, ConfigReader.parseSize("4K"));
        assertEquals(4096L, ConfigReader.parseSize("4KiB"));
        assertEquals(1L << 30, ConfigReader.parseSize("1G"));
        assertEquals(123L, ConfigReader.parseSize("123"));
        assertNull(ConfigReader.parseSize("-1"));
        assertNull(ConfigReader.parseSize("99999999999999T"));
        assertEquals("64 MiB", ConfigReader.formatSize(64L << 20));
    }
}
