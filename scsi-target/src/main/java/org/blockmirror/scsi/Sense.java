package org.blockmirror.scsi;

/**
 * One piece of sense data, independent of its encoding.
 *
 * @param key          the sense key
 * @param code         ASC/ASCQ
 * @param information  the INFORMATION field (e.g. the miscompare offset), or null when not valid
 * @param fieldPointer the sense-key-specific field pointer for ILLEGAL REQUEST, or null
 */
public record Sense(SenseKey key, AdditionalSense code, Long information, FieldPointer fieldPointer) {

    /** Length of fixed-format sense data as we build it (additional sense length 10). */
    public static final int FIXED_LENGTH = 18;

    /**
     * Points at the offending field: in the CDB or in the parameter list, the byte, and the bit
     * (the most significant bit of a multi-bit field), or no bit ({@code bit < 0}).
     */
    public record FieldPointer(boolean inCdb, int byteIndex, int bit) {
        public FieldPointer {
            if (byteIndex < 0 || byteIndex > 0xFFFF || bit > 7) {
                throw new IllegalArgumentException("bad field pointer byte " + byteIndex + " bit " + bit);
            }
        }
    }

    public static Sense of(SenseKey key, AdditionalSense code) {
        return new Sense(key, code, null, null);
    }

    public static Sense noSense() {
        return of(SenseKey.NO_SENSE, AdditionalSense.NO_ADDITIONAL_SENSE);
    }

    public static Sense invalidFieldInCdb(int byteIndex, int bit) {
        return new Sense(SenseKey.ILLEGAL_REQUEST, AdditionalSense.INVALID_FIELD_IN_CDB, null,
                new FieldPointer(true, byteIndex, bit));
    }

    public static Sense invalidFieldInParameterList(int byteIndex, int bit) {
        return new Sense(SenseKey.ILLEGAL_REQUEST, AdditionalSense.INVALID_FIELD_IN_PARAMETER_LIST, null,
                new FieldPointer(false, byteIndex, bit));
    }

    public static Sense illegalRequest(AdditionalSense code) {
        return of(SenseKey.ILLEGAL_REQUEST, code);
    }

    public static Sense lbaOutOfRange() {
        return of(SenseKey.ILLEGAL_REQUEST, AdditionalSense.LBA_OUT_OF_RANGE);
    }

    public static Sense notReady() {
        return of(SenseKey.NOT_READY, AdditionalSense.LUN_NOT_READY_MANUAL_INTERVENTION);
    }

    public Sense withInformation(long value) {
        return new Sense(key, code, value, fieldPointer);
    }

    /**
     * Fixed-format (response code 0x70, current error) sense data, 18 bytes. VALID is set only
     * when the INFORMATION value fits the 4-byte field.
     */
    public byte[] toFixedFormat() {
        byte[] s = new byte[FIXED_LENGTH];
        s[0] = 0x70;
        s[2] = (byte) key.code();
        if (information != null && information >= 0 && information <= 0xFFFF_FFFFL) {
            s[0] |= (byte) 0x80;
            long v = information;
            s[3] = (byte) (v >>> 24);
            s[4] = (byte) (v >>> 16);
            s[5] = (byte) (v >>> 8);
            s[6] = (byte) v;
        }
        s[7] = FIXED_LENGTH - 8;
        s[12] = (byte) code.asc();
        s[13] = (byte) code.ascq();
        if (fieldPointer != null) {
            int b = 0x80; // SKSV
            if (fieldPointer.inCdb()) {
                b |= 0x40; // C/D
            }
            if (fieldPointer.bit() >= 0) {
                b |= 0x08 | fieldPointer.bit(); // BPV + bit pointer
            }
            s[15] = (byte) b;
            s[16] = (byte) (fieldPointer.byteIndex() >>> 8);
            s[17] = (byte) fieldPointer.byteIndex();
        }
        return s;
    }

    /**
     * Descriptor-format sense data (response code 0x72) as REQUEST SENSE with DESC=1 returns it:
     * the 8-byte header plus an information descriptor when INFORMATION is valid.
     */
    public byte[] toDescriptorFormat() {
        boolean info = information != null;
        byte[] s = new byte[info ? 20 : 8];
        s[0] = 0x72;
        s[1] = (byte) key.code();
        s[2] = (byte) code.asc();
        s[3] = (byte) code.ascq();
        if (info) {
            s[7] = 12;
            s[8] = 0x00;   // information descriptor
            s[9] = 0x0A;
            s[10] = (byte) 0x80; // VALID
            Bytes.putLong(s, 12, information);
        }
        return s;
    }

    @Override
    public String toString() {
        return key + "/" + code + String.format(" (%02X/%02X/%02X)", key.code(), code.asc(), code.ascq())
                + (information != null ? " info=" + information : "")
                + (fieldPointer != null ? " field=" + (fieldPointer.inCdb() ? "cdb" : "param") + "[" + fieldPointer.byteIndex()
                + (fieldPointer.bit() >= 0 ? "." + fieldPointer.bit() : "") + "]" : "");
    }
}
