package org.blockmirror.scsi;

/** Big-endian field access on byte arrays (CDBs, parameter lists, response data). */
final class Bytes {
    private Bytes() {
    }

    static int u8(byte[] b, int i) {
        return b[i] & 0xff;
    }

    static int u16(byte[] b, int i) {
        return (u8(b, i) << 8) | u8(b, i + 1);
    }

    static int u24(byte[] b, int i) {
        return (u8(b, i) << 16) | u16(b, i + 1);
    }

    static long u32(byte[] b, int i) {
        return ((long) u16(b, i) << 16) | u16(b, i + 2);
    }

    static long u64(byte[] b, int i) {
        return (u32(b, i) << 32) | u32(b, i + 4);
    }

    static void putShort(byte[] b, int i, int v) {
        b[i] = (byte) (v >>> 8);
        b[i + 1] = (byte) v;
    }

    static void putInt(byte[] b, int i, long v) {
        b[i] = (byte) (v >>> 24);
        b[i + 1] = (byte) (v >>> 16);
        b[i + 2] = (byte) (v >>> 8);
        b[i + 3] = (byte) v;
    }

    static void putLong(byte[] b, int i, long v) {
        putInt(b, i, v >>> 32);
        putInt(b, i + 4, v);
    }

    /** Copies {@code s} into {@code len} bytes at {@code i}, space padded (SPC ASCII fields). */
    static void putAscii(byte[] b, int i, int len, String s) {
        for (int k = 0; k < len; k++) {
            b[i + k] = k < s.length() ? (byte) s.charAt(k) : (byte) ' ';
        }
    }
}
