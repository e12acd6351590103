package org.blockmirror.scsi;

import org.blockmirror.block.BlockDevice;

/** READ CAPACITY (10) and (16); answered while not ready (the standby disk has a size). */
final class CapacityCommands {

    private final BlockDevice device;

    CapacityCommands(BlockDevice device) {
        this.device = device;
    }

    ScsiResponse readCapacity10(Cdb cdb, ScsiRequest request) {
        checkLbaWithoutPmi(cdb, cdb.u32(2), 8);
        long last = device.blockCount() - 1;
        byte[] d = new byte[8];
        // More than 2^32-1 blocks: FFFFFFFFh tells the initiator to use READ CAPACITY (16).
        Bytes.putInt(d, 0, Math.min(last, 0xFFFF_FFFFL));
        Bytes.putInt(d, 4, device.blockSize());
        return CommandSupport.dataIn(d, d.length, request);
    }

    ScsiResponse readCapacity16(Cdb cdb, ScsiRequest request) {
        checkLbaWithoutPmi(cdb, cdb.u64(2), 14);
        long allocationLength = cdb.u32(10);
        byte[] d = new byte[32];
        Bytes.putLong(d, 0, device.blockCount() - 1);
        Bytes.putInt(d, 8, device.blockSize());
        d[12] = 0;            // P_TYPE 0, PROT_EN=0: no protection information
        d[13] = 0;            // one logical block per physical block
        d[14] = (byte) 0xC0;  // LBPME=1 (UNMAP supported), LBPRZ=1 (unmapped blocks read zero)
        return CommandSupport.dataIn(d, allocationLength, request);
    }

    /** LOGICAL BLOCK ADDRESS must be 0 unless PMI is set (SBC-3; obsolete in SBC-4 but still checked). */
    private static void checkLbaWithoutPmi(Cdb cdb, long lba, int pmiByte) {
        if (!cdb.bit(pmiByte, 0) && lba != 0) {
            throw Cdb.invalidField(2, 7);
        }
    }
}
