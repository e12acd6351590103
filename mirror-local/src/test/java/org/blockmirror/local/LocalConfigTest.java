package org.blockmirror.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.blockmirror.config.ConfigException;
import org.blockmirror.config.ConfigFile;
import org.blockmirror.schedule.SendWindows;
import org.junit.jupiter.api.Test;

/** The link-scheduling and high-water keys of the local unit. */
class LocalConfigTest {

    private static final String BASE = "volume.id = v\nvolume.path = /dev/null\njournal.path = /tmp/j\n"
            + "remote.address = 127.0.0.1:7789\nheartbeat.peer = 127.0.0.1:7791\n";

    private static LocalConfig parse(String extra) throws ConfigException {
        return LocalConfig.parse(ConfigFile.parse("l.conf", BASE + extra));
    }

    private static List<String> problems(String extra) {
        return assertThrows(ConfigException.class, () -> parse(extra)).problems();
    }

    @Test
    void defaultsAreNoLimitNoWindowsAndAHighWaterMarkOf80Percent() throws Exception {
        LocalConfig c = parse("");
        assertEquals(0, c.rateLimitBytesPerSecond());
        assertEquals(SendWindows.none(), c.sendBlackout());
        assertEquals(80, c.journalHighWaterPercent());
    }

    @Test
    void readsTheKeys() throws Exception {
        LocalConfig c = parse("transport.rate-limit = 20M\ntransport.send-blackout = 08:00-18:00, 22:00-02:00\n"
                + "journal.high-water-percent = 65\n");
        assertEquals(20L << 20, c.rateLimitBytesPerSecond());
        assertEquals("08:00-18:00,22:00-02:00", c.sendBlackout().toString());
        assertEquals(65, c.journalHighWaterPercent());
    }

    @Test
    void badValuesAreRefusedWithFileLineAndRange() {
        assertEquals(List.of(
                "l.conf line 6: journal.high-water-percent = 0: must be between 1 and 100",
                "l.conf line 7: transport.rate-limit = 1K: must be 0 (unlimited) or at least 64 KiB per second",
                "l.conf line 8: transport.send-blackout = 8-18: '8-18' is not a window: expected "
                        + SendWindows.SYNTAX),
                problems("journal.high-water-percent = 0\ntransport.rate-limit = 1K\ntransport.send-blackout = 8-18\n"));
        assertEquals(List.of("l.conf line 6: transport.rate-limit = fast: not a size (allowed 0 B to 1 TiB; "
                        + "examples: 1048576, 512K, 64M, 10G)"),
                problems("transport.rate-limit = fast\n"));
        assertEquals(List.of("l.conf line 6: transport.send-blackout = 00:00-12:00,12:00-24:00: the windows cover"
                        + " the whole day: nothing would ever be sent"),
                problems("transport.send-blackout = 00:00-12:00,12:00-24:00\n"));
    }

    @Test
    void sendCoalescingDefaultsToAMillisecondInAsyncModeAndToNothingWhereTheHostWaits() throws Exception {
        assertEquals(1000, parse("").sendCoalesceMicros());
        assertEquals(0, parse("ack.mode = sync\n").sendCoalesceMicros());
        assertEquals(0, parse("ack.mode = verified\n").sendCoalesceMicros());
        assertEquals(250, parse("ack.mode = sync\ntransport.send-coalesce-us = 250\n").sendCoalesceMicros());
        assertEquals(0, parse("transport.send-coalesce-us = 0\n").sendCoalesceMicros());
        assertEquals(List.of("l.conf line 6: transport.send-coalesce-us = 200000: must be between 0 and 100000"),
                problems("transport.send-coalesce-us = 200000\n"));
    }

    @Test
    void ackModeVerifiedIsAccepted() throws Exception {
        assertEquals(AckMode.ASYNC, parse("").ackMode());
        LocalConfig c = parse("ack.mode = verified\n");
        assertEquals(AckMode.VERIFIED, c.ackMode());
        assertEquals(org.blockmirror.protocol.AckMode.VERIFIED, c.ackMode().wire());
        assertEquals(List.of("l.conf line 6: ack.mode = checked: must be one of async, sync, verified"),
                problems("ack.mode = checked\n"));
    }

    @Test
    void theDirtyMapLivesNextToTheJournalInChunksOf64KiBByDefault() throws Exception {
        LocalConfig c = parse("");
        assertEquals(java.nio.file.Path.of("/tmp/j.dirtymap"), c.dirtyMapPath());
        assertEquals(64 << 10, c.dirtyMapChunkBytes());
        assertEquals(0, c.journalFullTimeoutMs(), "a full journal collapses at once: the host never waits");
        LocalConfig onDevice = LocalConfig.parse(ConfigFile.parse("l.conf", BASE.replace("/tmp/j", "/dev/sdb")
                + "state.dir = /var/lib/bm\n"));
        assertEquals(java.nio.file.Path.of("/var/lib/bm/dirty-map"), onDevice.dirtyMapPath(),
                "a journal on a device: the map goes to state.dir");
        LocalConfig set = parse("dirty-map.path = /var/lib/bm/map\ndirty-map.chunk-bytes = 1M\n");
        assertEquals(java.nio.file.Path.of("/var/lib/bm/map"), set.dirtyMapPath());
        assertEquals(1 << 20, set.dirtyMapChunkBytes());
    }

    @Test
    void aChunkSizeThatIsNoMultipleOfTheBlockSizeOrOutOfRangeIsRefused() {
        assertEquals(List.of("l.conf line 7: dirty-map.chunk-bytes = 6K: must be a multiple of volume.block-size"
                        + " (4096)"),
                problems("volume.block-size = 4096\ndirty-map.chunk-bytes = 6K\n"));
        assertEquals(List.of("l.conf line 6: dirty-map.chunk-bytes = 128M: must be between 512 B and 64 MiB"),
                problems("dirty-map.chunk-bytes = 128M\n"));
    }
}
