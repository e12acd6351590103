package org.blockmirror.unit;

import static org.blockmirror.unit.UnitPair.BLOCK;
import static org.blockmirror.unit.UnitPair.await;
import static org.blockmirror.unit.UnitPair.drained;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.blockmirror.scsi.DiskIdentity;
import org.blockmirror.scsi.DiskLimits;
import org.blockmirror.scsi.ScsiDisk;
import org.blockmirror.scsi.ScsiRequest;
import org.blockmirror.scsi.ScsiResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SPEC F10 through the SCSI emulation: each unit's disk is one {@link ScsiDisk} over its
 * {@link UnitDevice}, created once. The standby answers READ CAPACITY with the real size and
 * TEST UNIT READY / WRITE with NOT READY (02/04/xx); after a role reversal the very same disk
 * objects have swapped: no re-scan, no new device.
 */
class HotStandbyScsiTest {

    @TempDir
    Path dir;
    private UnitPair pair;

    @AfterEach
    void stop() {
        if (pair != null) {
            pair.close();
        }
    }

    @Test
    void theStandbyDiskBecomesReadyWhenItsUnitIsPromoted() throws Exception {
        pair = UnitPair.startStreaming(dir);
        ScsiDisk diskA = new ScsiDisk(pair.a.device(), DiskIdentity.forVolume("demo"), DiskLimits.defaults(BLOCK));
        ScsiDisk diskB = new ScsiDisk(pair.b.device(), DiskIdentity.forVolume("demo"), DiskLimits.defaults(BLOCK));

        assertEquals(ScsiResponse.GOOD, testUnitReady(diskA).status());
        assertNotReady(testUnitReady(diskB));
        ScsiResponse capacity = diskB.execute(new ScsiRequest(new byte[] {0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0},
                ScsiRequest.NO_DATA, 8)).get();
        assertEquals(ScsiResponse.GOOD, capacity.status());
        assertEquals(UnitPair.VOLUME_BYTES / BLOCK - 1, Integer.toUnsignedLong(capacity.dataIn().getInt(0)));
        assertEquals(BLOCK, capacity.dataIn().getInt(4));
        assertNotReady(write10(diskB, 1));

        pair.a.reverse(false);
        // when reverse returns, B's disk serves: no wait
        assertEquals(ScsiResponse.GOOD, testUnitReady(diskB).status());
        await("B streams to A", 15_000, () -> drained(pair.b));
        assertEquals(ScsiResponse.GOOD, write10(diskB, 1).status());
        assertNotReady(testUnitReady(diskA));
        assertNotReady(write10(diskA, 1));
    }

    private static ScsiResponse testUnitReady(ScsiDisk disk) throws Exception {
        return disk.execute(new ScsiRequest(new byte[6], ScsiRequest.NO_DATA, 0)).get();
    }

    private static ScsiResponse write10(ScsiDisk disk, int lba) throws Exception {
        byte[] cdb = {0x2A, 0, 0, 0, 0, (byte) lba, 0, 0, 1, 0};
        return disk.execute(new ScsiRequest(cdb, ByteBuffer.allocate(BLOCK), 0)).get();
    }

    private static void assertNotReady(ScsiResponse r) {
        assertEquals(ScsiResponse.CHECK_CONDITION, r.status());
        assertEquals(0x02, r.sense()[2] & 0x0f, "sense key NOT READY");
        assertEquals(0x04, r.sense()[12], "logical unit not ready");
    }
}
