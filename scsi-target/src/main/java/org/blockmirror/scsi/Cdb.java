package org.blockmirror.scsi;

/**
 * Read-only view of a command descriptor block with the field checks every command needs. All
 * failures are {@link ScsiFailure}s with an INVALID FIELD IN CDB pointer at the offending bit.
 */
final class Cdb {

    private final byte[] bytes;

    Cdb(byte[] bytes) {
        this.bytes = bytes;
    }

    int opcode() {
        return u8(0);
    }

    int length() {
        return bytes.length;
    }

    /** Service action: bits 4..0 of byte 1 (SERVICE ACTION IN/MAINTENANCE IN). */
    int serviceAction() {
        return bytes.length > 1 ? u8(1) & 0x1f : -1;
    }

    int u8(int i) {
        return Bytes.u8(bytes, i);
    }

    int u16(int i) {
        return Bytes.u16(bytes, i);
    }

    int u24(int i) {
        return Bytes.u24(bytes, i);
    }

    long u32(int i) {
        return Bytes.u32(bytes, i);
    }

    long u64(int i) {
        return Bytes.u64(bytes, i);
    }

    boolean bit(int i, int bit) {
        return (bytes[i] & (1 << bit)) != 0;
    }

    /** Bits hi..lo of byte i, shifted down. */
    int field(int i, int hi, int lo) {
        return (u8(i) >>> lo) & ((1 << (hi - lo + 1)) - 1);
    }

    /** CDB length implied by the opcode's group code (SPC-4 4.2.5.1); -1 for vendor/variable groups. */
    static int lengthForOpcode(int opcode) {
        return switch (opcode >>> 5) {
            case 0 -> 6;
            case 1, 2 -> 10;
            case 4 -> 16;
            case 5 -> 12;
            default -> -1;
        };
    }

    /** Fails when any bit outside {@code usage} is set; byte 0 (the opcode) is not checked. */
    void checkUsage(byte[] usage) {
        for (int i = 1; i < usage.length; i++) {
            int bad = bytes[i] & ~usage[i] & 0xff;
            if (bad != 0) {
                throw invalidField(i, 31 - Integer.numberOfLeadingZeros(bad));
            }
        }
    }

    /** RDPROTECT / WRPROTECT / VRPROTECT (byte 1 bits 7..5) must be 0: no protection information. */
    void rejectProtectionInformation() {
        if (field(1, 7, 5) != 0) {
            throw invalidField(1, 7);
        }
    }

    static ScsiFailure invalidField(int byteIndex, int bit) {
        return ScsiFailure.check(Sense.invalidFieldInCdb(byteIndex, bit));
    }
}
