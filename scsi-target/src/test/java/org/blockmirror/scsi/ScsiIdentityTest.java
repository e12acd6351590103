package org.blockmirror.scsi;

import static org.blockmirror.scsi.CommandSet.*;
import static org.junit.jupiter.api.Assertions.*;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** INQUIRY + VPD, READ CAPACITY, MODE SENSE/SELECT, REPORT LUNS, REPORT SUPPORTED OPCODES. */
class ScsiIdentityTest extends DiskFixture {

    @BeforeEach
    void setUp() throws Exception {
        open();
    }

    static byte[] inquiry(int evpd, int page, int alloc) {
        return cdb(INQUIRY, evpd, page, alloc >>> 8, alloc & 0xff, 0);
    }

    @Test
    void standardInquiry() {
        byte[] d = data(assertGood(run(inquiry(0, 0, 255))));
        assertEquals(66, d.length);
        assertEquals(0x00, d[0]);           // connected direct-access block device
        assertEquals(0x00, d[1]);           // not removable
        assertEquals(0x06, d[2]);           // SPC-4
        assertEquals(0x12, d[3]);           // HISUP, response data format 2
        assertEquals(61, d[4]);
        assertEquals(0x02, d[7]);           // CMDQUE
        assertEquals("BLKMIRR ", new String(d, 8, 8, StandardCharsets.US_ASCII));
        assertEquals("blockmirror     ", new String(d, 16, 16, StandardCharsets.US_ASCII));
        assertEquals("0001", new String(d, 32, 4, StandardCharsets.US_ASCII));
        assertEquals(0x0460, Bytes.u16(d, 60));
    }

    @Test
    void allocationLengthTruncatesEverywhere() {
        byte[] full = data(assertGood(run(inquiry(0, 0, 255))));
        for (int alloc : new int[] {0, 1, 5, 36, 65}) {
            assertArrayEquals(Arrays.copyOf(full, alloc), data(assertGood(run(inquiry(0, 0, alloc)))));
        }
        // and the transport's capacity
        assertEquals(7, data(assertGood(run(inquiry(0, 0, 255), ScsiRequest.NO_DATA, 7))).length);
        assertEquals(3, data(assertGood(run(inquiry(1, 0x83, 3)))).length);
        assertEquals(0, data(assertGood(run(cdb(SERVICE_ACTION_IN_16, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)))).length);
        assertEquals(13, data(assertGood(run(cdb(SERVICE_ACTION_IN_16, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 13, 0, 0)))).length);
        assertEquals(3, data(assertGood(run(cdb(MODE_SENSE_6, 0, 0x3f, 0, 3, 0)))).length);
        assertEquals(0, data(assertGood(run(cdb(REPORT_LUNS, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)))).length);
    }

    @Test
    void inquiryFieldErrors() {
        assertInvalidFieldInCdb(run(inquiry(0, 0x80, 255)), 2, 7);  // page code without EVPD
        assertInvalidFieldInCdb(run(inquiry(1, 0x81, 255)), 2, 7);  // unsupported VPD page
        assertInvalidFieldInCdb(run(inquiry(2, 0, 255)), 1, 1);     // CMDDT (obsolete)
        assertInvalidFieldInCdb(run(inquiry(0x80, 0, 255)), 1, 7);  // reserved
    }

    @Test
    void vpdPages() {
        byte[] p0 = data(assertGood(run(inquiry(1, 0x00, 255))));
        assertArrayEquals(cdb(0, 0x00, 0, 6, 0x00, 0x80, 0x83, 0xB0, 0xB1, 0xB2), p0);

        DiskIdentity id = disk.identity();
        byte[] p80 = data(assertGood(run(inquiry(1, 0x80, 255))));
        assertEquals(0x80, p80[1] & 0xff);
        assertEquals(id.serial(), new String(p80, 4, Bytes.u16(p80, 2), StandardCharsets.US_ASCII));
        assertEquals(20, id.serial().length());

        byte[] p83 = data(assertGood(run(inquiry(1, 0x83, 255))));
        assertEquals(0x83, p83[1] & 0xff);
        assertEquals(p83.length - 4, Bytes.u16(p83, 2));
        assertArrayEquals(cdb(0x01, 0x03, 0x00, 0x08), Arrays.copyOfRange(p83, 4, 8));
        assertEquals(id.naa(), Bytes.u64(p83, 8));
        assertEquals(3, p83[8] >>> 4 & 0xf, "NAA 3: locally assigned");
        assertArrayEquals(cdb(0x02, 0x01, 0x00, 8 + 20), Arrays.copyOfRange(p83, 16, 20));
        assertEquals("BLKMIRR " + id.serial(), new String(p83, 20, 28, StandardCharsets.US_ASCII));

        DiskLimits l = disk.limits();
        byte[] b0 = data(assertGood(run(inquiry(1, 0xB0, 255))));
        assertEquals(64, b0.length);
        assertEquals(0x3C, Bytes.u16(b0, 2));
        assertEquals(0x01, b0[4]);                                   // WSNZ
        assertEquals(l.maxCompareAndWriteBlocks(), b0[5] & 0xff);
        assertEquals(l.maxTransferBlocks(), Bytes.u32(b0, 8));
        assertEquals((8 << 20) / BS, Bytes.u32(b0, 8));
        assertEquals(l.maxUnmapBlocks(), Bytes.u32(b0, 20));
        assertEquals(l.maxUnmapDescriptors(), Bytes.u32(b0, 24));
        assertEquals(l.maxWriteSameBlocks(), Bytes.u64(b0, 36));

        byte[] b1 = data(assertGood(run(inquiry(1, 0xB1, 255))));
        assertEquals(64, b1.length);
        assertEquals(0, Bytes.u16(b1, 4), "rotation rate not reported by default");

        byte[] b2 = data(assertGood(run(inquiry(1, 0xB2, 255))));
        assertArrayEquals(cdb(0, 0xB2, 0, 4, 0, 0xE4, 0x01, 0), b2); // LBPU LBPWS LBPWS10 LBPRZ; resource provisioned
    }

    @Test
    void identityIsDerivedFromTheVolumeIdAndValidated() {
        DiskIdentity a = DiskIdentity.forVolume("vol-a");
        assertEquals(a, DiskIdentity.forVolume("vol-a"));
        assertNotEquals(a.naa(), DiskIdentity.forVolume("vol-b").naa());
        assertNotEquals(a.serial(), DiskIdentity.forVolume("vol-b").serial());
        assertEquals(1, Bytes.u16(new InquiryCommand(a.withNonRotating(true), disk.limits()).blockDeviceCharacteristics(), 4));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new DiskIdentity("TOOLONGVENDOR", "p", "1", "s", 3L << 60, false));
        assertTrue(e.getMessage().contains("vendor 'TOOLONGVENDOR' must be 1..8 characters"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new DiskIdentity("V", "p", "1", "s", 5L << 60, false));
        assertTrue(e.getMessage().contains("NAA type 3"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new DiskIdentity("V", "p", "1", "a b", 3L << 60, false));
        assertTrue(e.getMessage().contains("must not contain spaces"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> DiskIdentity.forVolume(""));
        assertTrue(e.getMessage().contains("volume id must not be empty"));
    }

    @Test
    void readCapacity10And16() {
        byte[] rc10 = data(assertGood(run(cdb(READ_CAPACITY_10, 0, 0, 0, 0, 0, 0, 0, 0, 0))));
        assertArrayEquals(cdb(0, 0, 0x07, 0xFF, 0, 0, 0x02, 0x00), rc10);
        byte[] rc16 = data(assertGood(run(cdb(SERVICE_ACTION_IN_16, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0))));
        byte[] expected = new byte[32];
        Bytes.putLong(expected, 0, BLOCKS - 1);
        Bytes.putInt(expected, 8, BS);
        expected[14] = (byte) 0xC0; // LBPME, LBPRZ
        assertArrayEquals(expected, rc16);
        assertInvalidFieldInCdb(run(cdb(READ_CAPACITY_10, 0, 0, 0, 0, 1, 0, 0, 0, 0)), 2, 7);    // LBA without PMI
        assertGood(run(cdb(READ_CAPACITY_10, 0, 0, 0, 0, 1, 0, 0, 1, 0)));                        // with PMI
        assertInvalidFieldInCdb(run(cdb(SERVICE_ACTION_IN_16, 0x11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0)), 1, 4);
        assertInvalidFieldInCdb(run(cdb(SERVICE_ACTION_IN_16, 0x30, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0)), 1, 5);
    }

    @Test
    void readCapacity10SaysFFFFFFFFForDisksBeyond2To32Blocks() throws Exception {
        closeVolume();
        open((1L << 32) + 1, DiskLimits.defaults(BS), null);
        byte[] rc10 = data(assertGood(run(cdb(READ_CAPACITY_10, 0, 0, 0, 0, 0, 0, 0, 0, 0))));
        assertArrayEquals(cdb(0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0x02, 0x00), rc10);
        byte[] rc16 = data(assertGood(run(cdb(SERVICE_ACTION_IN_16, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0))));
        assertEquals(1L << 32, Bytes.u64(rc16, 0));
        byte[] ms = data(assertGood(run(cdb(MODE_SENSE_6, 0, 0x08, 0, 255, 0))));
        assertEquals(0xFFFFFFFFL, Bytes.u32(ms, 4), "short block descriptor saturates");
        byte[] ms10 = data(assertGood(run(cdb(MODE_SENSE_10, 0x10, 0x08, 0, 0, 0, 0, 0, 255, 0))));
        assertEquals(1, ms10[4], "LONGLBA");
        assertEquals(16, Bytes.u16(ms10, 6));
        assertEquals((1L << 32) + 1, Bytes.u64(ms10, 8));
    }

    @Test
    void modeSenseCachingPageCurrentAndChangeable() {
        byte[] d = data(assertGood(run(cdb(MODE_SENSE_6, 0, 0x08, 0, 255, 0))));
        byte[] expected = new byte[4 + 8 + 20];
        expected[0] = (byte) (expected.length - 1);
        expected[2] = 0x10;                 // DPOFUA
        expected[3] = 8;
        Bytes.putInt(expected, 4, BLOCKS);
        expected[10] = 0x02;                // block length 512
        expected[12] = 0x08;
        expected[13] = 0x12;                // WCE=0 in byte 14
        assertArrayEquals(expected, d);
        byte[] changeable = data(assertGood(run(cdb(MODE_SENSE_6, 0x08, 0x48, 0, 255, 0)))); // DBD, PC=1
        assertArrayEquals(with(with(with(new byte[24], 0, 23), 2, 0x10), 4, 0x08), with(changeable, 5, 0));
        assertEquals(0x12, changeable[5]);
        byte[] defaults = data(assertGood(run(cdb(MODE_SENSE_6, 0x08, 0x88, 0, 255, 0))));
        assertArrayEquals(Arrays.copyOfRange(d, 12, 32), Arrays.copyOfRange(defaults, 4, 24));
    }

    @Test
    void modeSenseAllPagesAndControlPage() {
        byte[] all = data(assertGood(run(cdb(MODE_SENSE_10, 0x08, 0x3f, 0, 0, 0, 0, 0, 255, 0))));
        assertEquals(all.length - 2, Bytes.u16(all, 0));
        assertEquals(0, Bytes.u16(all, 6), "DBD: no block descriptor");
        assertEquals(8 + 12 + 20 + 12, all.length);
        assertEquals(0x01, all[8]);
        assertEquals(0x08, all[20]);
        assertEquals(0x0A, all[40]);
        assertEquals(0x02, all[42]);  // GLTSD, D_SENSE=0
        assertEquals(0x10, all[43]);  // unrestricted reordering
        assertArrayEquals(all, data(assertGood(run(cdb(MODE_SENSE_10, 0x08, 0x3f, 0xff, 0, 0, 0, 0, 255, 0)))));
    }

    @Test
    void modeSenseErrors() {
        byte[] s = assertSense(run(cdb(MODE_SENSE_6, 0, 0xC8, 0, 255, 0)), 0x05, 0x39, 0x00); // saved values
        assertEquals(0, s[15]);
        assertInvalidFieldInCdb(run(cdb(MODE_SENSE_6, 0, 0x1C, 0, 255, 0)), 2, 5);  // unsupported page
        assertInvalidFieldInCdb(run(cdb(MODE_SENSE_6, 0, 0x08, 0x01, 255, 0)), 3, 7); // subpage
        assertInvalidFieldInCdb(run(cdb(MODE_SENSE_6, 0x10, 0x08, 0, 255, 0)), 1, 4); // LLBAA in 6-byte
    }

    @Test
    void modeSelectAcceptsCurrentValuesAndRefusesChanges() {
        byte[] sense = data(assertGood(run(cdb(MODE_SENSE_6, 0, 0x08, 0, 255, 0))));
        byte[] param = sense.clone();
        param[0] = 0;    // mode data length is reserved in MODE SELECT
        param[2] = 0;
        assertGood(run(cdb(MODE_SELECT_6, 0x10, 0, 0, param.length, 0), param));
        byte[] wce = param.clone();
        wce[14] |= 0x04; // try to turn on a write cache
        assertInvalidFieldInParameterList(run(cdb(MODE_SELECT_6, 0x10, 0, 0, wce.length, 0), wce), 14, 2);
        assertInvalidFieldInCdb(run(cdb(MODE_SELECT_6, 0x11, 0, 0, param.length, 0), param), 1, 0); // SP
        byte[] badBlockSize = param.clone();
        badBlockSize[10] = 0x10;  // 4096
        assertInvalidFieldInParameterList(run(cdb(MODE_SELECT_6, 0x10, 0, 0, param.length, 0), badBlockSize), 9, 7);
        byte[] badLength = param.clone();
        badLength[0] = 5;
        assertInvalidFieldInParameterList(run(cdb(MODE_SELECT_6, 0x10, 0, 0, param.length, 0), badLength), 0, 7);
        byte[] unknownPage = param.clone();
        unknownPage[12] = 0x1C;
        assertInvalidFieldInParameterList(run(cdb(MODE_SELECT_6, 0x10, 0, 0, param.length, 0), unknownPage), 12, 5);
        assertSense(run(cdb(MODE_SELECT_6, 0x10, 0, 0, param.length - 4, 0), param), 0x05, 0x1A, 0x00); // page cut short
        assertSense(run(cdb(MODE_SELECT_6, 0x10, 0, 0, param.length, 0), Arrays.copyOf(param, 10)), 0x05, 0x0E, 0x03);
        assertGood(run(cdb(MODE_SELECT_6, 0x10, 0, 0, 0, 0)));       // empty list

        byte[] ten = data(assertGood(run(cdb(MODE_SENSE_10, 0, 0x0A, 0, 0, 0, 0, 0, 255, 0))));
        ten[0] = 0;
        ten[1] = 0;
        ten[3] = 0;
        assertGood(run(cdb(MODE_SELECT_10, 0x10, 0, 0, 0, 0, 0, 0, ten.length, 0), ten));
    }

    @Test
    void reportLuns() {
        byte[] d = data(assertGood(run(cdb(REPORT_LUNS, 0, 0, 0, 0, 0, 0, 0, 0, 64, 0, 0))));
        assertArrayEquals(cdb(0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), d);
        assertArrayEquals(new byte[8], data(assertGood(run(cdb(REPORT_LUNS, 0, 1, 0, 0, 0, 0, 0, 0, 64, 0, 0)))));
        assertInvalidFieldInCdb(run(cdb(REPORT_LUNS, 0, 3, 0, 0, 0, 0, 0, 0, 64, 0, 0)), 2, 7);
    }

    @Test
    void reportSupportedOperationCodes() {
        byte[] all = data(assertGood(run(cdb(MAINTENANCE_IN, 0x0C, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0))));
        assertEquals(CommandSet.ALL.size() * 8, Bytes.u32(all, 0));
        boolean sawRc16 = false;
        for (int at = 4; at < all.length; at += 8) {
            if ((all[at] & 0xff) == SERVICE_ACTION_IN_16) {
                sawRc16 = true;
                assertEquals(0x10, Bytes.u16(all, at + 2));
                assertEquals(0x01, all[at + 5]);
                assertEquals(16, Bytes.u16(all, at + 6));
            }
        }
        assertTrue(sawRc16);
        byte[] withTimeouts = data(assertGood(run(cdb(MAINTENANCE_IN, 0x0C, 0x80, 0, 0, 0, 0, 0, 0x10, 0, 0, 0))));
        assertEquals(CommandSet.ALL.size() * 20, Bytes.u32(withTimeouts, 0));

        byte[] ws16 = data(assertGood(run(cdb(MAINTENANCE_IN, 0x0C, 0x01, WRITE_SAME_16, 0, 0, 0, 0, 1, 0, 0, 0))));
        assertEquals(0x03, ws16[1]);
        assertEquals(16, Bytes.u16(ws16, 2));
        assertEquals((byte) WRITE_SAME_16, ws16[4]);
        assertEquals(0x09, ws16[5]);    // UNMAP and NDOB usable; WRPROTECT, ANCHOR not
        byte[] none = data(assertGood(run(cdb(MAINTENANCE_IN, 0x0C, 0x01, 0x04, 0, 0, 0, 0, 1, 0, 0, 0)))); // FORMAT UNIT
        assertArrayEquals(cdb(0, 0x01, 0, 0), none);
        byte[] rc16 = data(assertGood(run(cdb(MAINTENANCE_IN, 0x0C, 0x02, SERVICE_ACTION_IN_16, 0, 0x10, 0, 0, 1, 0, 0, 0))));
        assertEquals(0x03, rc16[1]);
        assertInvalidFieldInCdb(run(cdb(MAINTENANCE_IN, 0x0C, 0x01, SERVICE_ACTION_IN_16, 0, 0, 0, 0, 1, 0, 0, 0)), 3, 7);
        assertInvalidFieldInCdb(run(cdb(MAINTENANCE_IN, 0x0C, 0x03, 0, 0, 0, 0, 0, 1, 0, 0, 0)), 2, 2);
        assertInvalidFieldInCdb(run(cdb(MAINTENANCE_IN, 0x0A, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0)), 1, 4); // other MAINTENANCE IN
    }

    @Test
    void everyUsageMaskMatchesItsCdbLengthAndGroupCode() {
        for (CommandDescriptor c : CommandSet.ALL) {
            assertEquals(Cdb.lengthForOpcode(c.opcode()), c.cdbLength(), c.name());
            assertEquals(0, c.usage()[c.cdbLength() - 1], c.name() + ": control byte accepts nothing");
        }
    }

    @Test
    void unknownOpcodesAndShortCdbs() {
        for (int op : new int[] {0x04, 0x07, 0x1E, 0x3B, 0x48, 0x7F, 0x9F, 0xFF}) {
            byte[] s = assertSense(run(with(new byte[16], 0, op)), 0x05, 0x20, 0x00);
            assertEquals(0, s[15], "no field pointer");
        }
        assertSense(run(new byte[0]), 0x05, 0x20, 0x00);
        byte[] s = assertSense(run(cdb(READ_10, 0, 0, 0, 0, 0)), 0x05, 0x24, 0x00); // 6 bytes of a 10-byte CDB
        assertEquals(0, s[15]);
    }
}
