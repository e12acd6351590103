package org.blockmirror.scsi;

import java.nio.charset.StandardCharsets;

/**
 * INQUIRY: standard data and the VPD pages 0x00, 0x80, 0x83, 0xB0, 0xB1, 0xB2. Answered whether
 * or not the device is ready: a standby unit is a detected disk with its identity (F10).
 */
final class InquiryCommand {

    static final int VPD_SUPPORTED_PAGES = 0x00;
    static final int VPD_UNIT_SERIAL = 0x80;
    static final int VPD_DEVICE_ID = 0x83;
    static final int VPD_BLOCK_LIMITS = 0xB0;
    static final int VPD_BLOCK_CHARACTERISTICS = 0xB1;
    static final int VPD_LOGICAL_BLOCK_PROVISIONING = 0xB2;

    private static final int[] SUPPORTED_VPD = {VPD_SUPPORTED_PAGES, VPD_UNIT_SERIAL, VPD_DEVICE_ID,
            VPD_BLOCK_LIMITS, VPD_BLOCK_CHARACTERISTICS, VPD_LOGICAL_BLOCK_PROVISIONING};

    /** Version descriptors: SAM-5, SPC-4, SBC-3. */
    private static final int[] VERSION_DESCRIPTORS = {0x00A0, 0x0460, 0x04C0};

    private final DiskIdentity identity;
    private final DiskLimits limits;
    InquiryCommand(DiskIdentity identity, DiskLimits limits) {
        this.identity = identity;
        this.limits = limits;
    }

    ScsiResponse execute(Cdb cdb, ScsiRequest request) {
        // CMDDT (byte 1 bit 1, obsolete) is outside the usage mask and rejected there.
        boolean evpd = cdb.bit(1, 0);
        int page = cdb.u8(2);
        int allocationLength = cdb.u16(3);
        byte[] data;
        if (!evpd) {
            if (page != 0) {
                throw Cdb.invalidField(2, 7);
            }
            data = standard();
        } else {
            data = switch (page) {
                case VPD_SUPPORTED_PAGES -> supportedPages();
                case VPD_UNIT_SERIAL -> unitSerial();
                case VPD_DEVICE_ID -> deviceIdentification();
                case VPD_BLOCK_LIMITS -> blockLimits();
                case VPD_BLOCK_CHARACTERISTICS -> blockDeviceCharacteristics();
                case VPD_LOGICAL_BLOCK_PROVISIONING -> logicalBlockProvisioning();
                default -> throw Cdb.invalidField(2, 7);
            };
        }
        return CommandSupport.dataIn(data, allocationLength, request);
    }

    byte[] standard() {
        byte[] d = new byte[66];
        d[0] = 0x00;                 // peripheral qualifier 000 (connected), device type 0 (SBC disk)
        d[1] = 0x00;                 // RMB=0: not removable, so "not ready" is not "no medium"
        d[2] = 0x06;                 // VERSION: SPC-4
        d[3] = 0x12;                 // HISUP=1, RESPONSE DATA FORMAT=2
        d[4] = (byte) (d.length - 5); // ADDITIONAL LENGTH
        d[5] = 0x00;                 // no SCCS, ACC, TPGS (no ALUA), 3PC, PROTECT
        d[6] = 0x00;
        d[7] = 0x02;                 // CMDQUE: many commands in flight
        Bytes.putAscii(d, 8, 8, identity.vendor());
        Bytes.putAscii(d, 16, 16, identity.product());
        Bytes.putAscii(d, 32, 4, identity.revision());
        for (int i = 0; i < VERSION_DESCRIPTORS.length; i++) {
            Bytes.putShort(d, 58 + 2 * i, VERSION_DESCRIPTORS[i]);
        }
        return d;
    }

    private static byte[] vpd(int page, int payloadLength) {
        byte[] d = new byte[4 + payloadLength];
        d[1] = (byte) page;
        Bytes.putShort(d, 2, payloadLength);
        return d;
    }

    byte[] supportedPages() {
        byte[] d = vpd(VPD_SUPPORTED_PAGES, SUPPORTED_VPD.length);
        for (int i = 0; i < SUPPORTED_VPD.length; i++) {
            d[4 + i] = (byte) SUPPORTED_VPD[i];
        }
        return d;
    }

    byte[] unitSerial() {
        byte[] serial = identity.serial().getBytes(StandardCharsets.US_ASCII);
        byte[] d = vpd(VPD_UNIT_SERIAL, serial.length);
        System.arraycopy(serial, 0, d, 4, serial.length);
        return d;
    }

    /** Two logical-unit designators: NAA (binary, 8 bytes) and T10 vendor id (ASCII: vendor + serial). */
    byte[] deviceIdentification() {
        byte[] t10 = (pad(identity.vendor(), 8) + identity.serial()).getBytes(StandardCharsets.US_ASCII);
        int naaLen = 4 + 8;
        int t10Len = 4 + t10.length;
        byte[] d = vpd(VPD_DEVICE_ID, naaLen + t10Len);
        int at = 4;
        d[at] = 0x01;          // protocol identifier 0, CODE SET 1 = binary
        d[at + 1] = 0x03;      // PIV=0, ASSOCIATION 00 = logical unit, DESIGNATOR TYPE 3 = NAA
        d[at + 3] = 8;
        Bytes.putLong(d, at + 4, identity.naa());
        at += naaLen;
        d[at] = 0x02;          // CODE SET 2 = ASCII
        d[at + 1] = 0x01;      // ASSOCIATION logical unit, DESIGNATOR TYPE 1 = T10 vendor id
        d[at + 3] = (byte) t10.length;
        System.arraycopy(t10, 0, d, at + 4, t10.length);
        return d;
    }

    byte[] blockLimits() {
        byte[] d = vpd(VPD_BLOCK_LIMITS, 0x3C);
        d[4] = 0x01;                                         // WSNZ: WRITE SAME of 0 blocks is rejected
        d[5] = (byte) limits.maxCompareAndWriteBlocks();     // MAXIMUM COMPARE AND WRITE LENGTH
        Bytes.putShort(d, 6, 1);                             // OPTIMAL TRANSFER LENGTH GRANULARITY
        Bytes.putInt(d, 8, limits.maxTransferBlocks());      // MAXIMUM TRANSFER LENGTH
        Bytes.putInt(d, 12, limits.optimalTransferBlocks()); // OPTIMAL TRANSFER LENGTH
        Bytes.putInt(d, 16, 0);                              // MAXIMUM PREFETCH LENGTH: no PRE-FETCH
        Bytes.putInt(d, 20, limits.maxUnmapBlocks());        // MAXIMUM UNMAP LBA COUNT
        Bytes.putInt(d, 24, limits.maxUnmapDescriptors());   // MAXIMUM UNMAP BLOCK DESCRIPTOR COUNT
        Bytes.putInt(d, 28, 1);                              // OPTIMAL UNMAP GRANULARITY: any block
        Bytes.putInt(d, 32, 0);                              // UGAVALID=0
        Bytes.putLong(d, 36, limits.maxWriteSameBlocks());   // MAXIMUM WRITE SAME LENGTH
        return d;
    }

    byte[] blockDeviceCharacteristics() {
        byte[] d = vpd(VPD_BLOCK_CHARACTERISTICS, 0x3C);
        Bytes.putShort(d, 4, identity.nonRotating() ? 0x0001 : 0x0000); // MEDIUM ROTATION RATE
        return d;
    }

    byte[] logicalBlockProvisioning() {
        byte[] d = vpd(VPD_LOGICAL_BLOCK_PROVISIONING, 4);
        d[4] = 0;                 // THRESHOLD EXPONENT: no thresholds
        d[5] = (byte) (0x80       // LBPU: UNMAP supported
                | 0x40            // LBPWS: WRITE SAME(16) with UNMAP
                | 0x20            // LBPWS10: WRITE SAME(10) with UNMAP
                | 0x04);          // LBPRZ=001b: unmapped blocks read as zeros
        d[6] = 0x01;              // PROVISIONING TYPE 001b: resource provisioned (capacity guaranteed)
        return d;
    }

    private static String pad(String s, int n) {
        return s.length() >= n ? s.substring(0, n) : s + " ".repeat(n - s.length());
    }
}
