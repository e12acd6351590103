package org.blockmirror.frontend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.blockmirror.config.ConfigException;
import org.blockmirror.config.ConfigFile;
import org.blockmirror.config.ConfigReader;
import org.junit.jupiter.api.Test;

class FrontEndConfigTest {

    private static final long RECORD = 4L << 20;

    private static FrontEndConfig read(String text, int blockSize) throws ConfigException {
        ConfigReader r = new ConfigReader(ConfigFile.parse("fe.conf", text));
        FrontEndConfig c = FrontEndConfig.read(r, FrontEndConfig.defaultName("db01", ""), blockSize, RECORD);
        r.finish();
        return c;
    }

    @Test
    void defaultsAreNoFrontEndWithNamesDerivedFromTheVolume() throws Exception {
        FrontEndConfig c = read("", 512);
        assertEquals(FrontEndType.NONE, c.type());
        assertFalse(c.enabled());
        assertEquals("bm-db01", c.backstoreName());
        assertEquals(2048, c.hwMaxSectors());
        assertEquals("iqn.2024-01.org.blockmirror:bm-db01", c.iscsiIqn());
        assertEquals("127.0.0.1:3260", c.iscsiPortal());
    }

    @Test
    void theDefaultTransferLimitFitsOneJournalRecord() throws Exception {
        // 2048 blocks of 4 KiB would be 8 MiB, more than a 4 MiB record.
        assertEquals(1024, read("", 4096).hwMaxSectors());
    }

    @Test
    void explicitValuesAreTaken() throws Exception {
        FrontEndConfig c = read("""
                frontend = iscsi
                frontend.name = bm-db01_b
                frontend.hw-max-sectors = 8192
                frontend.iscsi.iqn = iqn.2003-01.org.example:db01
                frontend.iscsi.portal = 10.0.0.5:3261
                """, 512);
        assertEquals(FrontEndType.ISCSI, c.type());
        assertTrue(c.enabled());
        assertEquals("bm-db01_b", c.backstoreName());
        assertEquals(8192, c.hwMaxSectors());
        assertEquals("iqn.2003-01.org.example:db01", c.iscsiIqn());
        assertEquals("10.0.0.5:3261", c.iscsiPortal());
        assertEquals("iqn.2024-01.org.blockmirror:bm-db01-b", FrontEndConfig.defaultIqn("bm-db01_B"));
    }

    @Test
    void everyBadValueIsReportedWithLineAndReason() {
        ConfigException e = assertThrows(ConfigException.class, () -> read("""
                frontend = fibrechannel
                frontend.name = disk0
                frontend.hw-max-sectors = 16384
                frontend.iscsi.iqn = db01
                frontend.iscsi.portal = localhost:3260
                """, 512));
        String m = e.getMessage();
        assertTrue(m.contains("fe.conf line 1: frontend = fibrechannel: must be one of none, loopback, iscsi"), m);
        assertTrue(m.contains("fe.conf line 2: frontend.name = disk0: must be 'bm-' followed by 1 to 61 letters"), m);
        assertTrue(m.contains("fe.conf line 3: frontend.hw-max-sectors = 16384: times volume.block-size (512) must "
                + "not exceed the largest journal record (4 MiB), so at most 8192"), m);
        assertTrue(m.contains("fe.conf line 4: frontend.iscsi.iqn = db01: must be an iSCSI qualified name"), m);
        assertTrue(m.contains("fe.conf line 5: frontend.iscsi.portal = localhost:3260: must be a numeric ip:port"), m);
    }

    @Test
    void outOfRangeTransferLimitAndPortNameTheRange() {
        ConfigException e = assertThrows(ConfigException.class, () -> read("""
                frontend.hw-max-sectors = 4
                frontend.iscsi.portal = 127.0.0.1:70000
                """, 512));
        String m = e.getMessage();
        assertTrue(m.contains("line 1: frontend.hw-max-sectors = 4: must be between 8 and 65536"), m);
        assertTrue(m.contains("line 2: frontend.iscsi.portal = 127.0.0.1:70000: must be a numeric ip:port"), m);
    }

    @Test
    void longVolumeIdsAreCutToTheLengthLioAllows() {
        String id = "v".repeat(64);
        String name = FrontEndConfig.defaultName(id, "-standby");
        assertEquals(64, name.length());
        assertTrue(name.startsWith("bm-vvv") && name.endsWith("-standby"), name);
    }
}
