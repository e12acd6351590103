package org.blockmirror.scsi;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * What the disk says about itself in INQUIRY and its VPD pages.
 *
 * @param vendor      T10 vendor identification, at most 8 printable ASCII characters
 * @param product     product identification, at most 16
 * @param revision    product revision level, at most 4
 * @param serial      unit serial number (VPD 0x80), 1..64 printable ASCII characters, no spaces
 * @param naa         the 64-bit NAA designator (VPD 0x83); NAA type 3 "locally assigned"
 * @param nonRotating whether VPD 0xB1 reports a non-rotating medium (otherwise "not reported")
 */
public record DiskIdentity(String vendor, String product, String revision, String serial, long naa,
                           boolean nonRotating) {

    public static final String VENDOR = "BLKMIRR";
    public static final String PRODUCT = "blockmirror";
    public static final String REVISION = "0001";

    public DiskIdentity {
        checkAscii("vendor", vendor, 1, 8);
        checkAscii("product", product, 1, 16);
        checkAscii("revision", revision, 1, 4);
        checkAscii("serial", serial, 1, 64);
        if (serial.indexOf(' ') >= 0) {
            throw new IllegalArgumentException("serial '" + serial + "' must not contain spaces");
        }
        if ((naa >>> 60) != 3) {
            throw new IllegalArgumentException(String.format(
                    "NAA designator %016x must be NAA type 3 (locally assigned): its top 4 bits must be 3", naa));
        }
    }

    /**
     * The identity of a mirrored volume. Serial number and WWN are derived from the volume id
     * alone, so both units of a pair (and a unit after a role reversal) present the same disk.
     */
    public static DiskIdentity forVolume(String volumeId) {
        if (volumeId == null || volumeId.isEmpty()) {
            throw new IllegalArgumentException("volume id must not be empty");
        }
        byte[] digest = sha256(volumeId);
        long bits = 0;
        for (int i = 0; i < 8; i++) {
            bits = (bits << 8) | (digest[i] & 0xff);
        }
        long naa = (3L << 60) | (bits >>> 4);
        String serial = HexFormat.of().formatHex(digest, 0, 10);
        return new DiskIdentity(VENDOR, PRODUCT, REVISION, serial, naa, false);
    }

    public DiskIdentity withNonRotating(boolean value) {
        return new DiskIdentity(vendor, product, revision, serial, naa, value);
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java platform", e);
        }
    }

    private static void checkAscii(String what, String value, int min, int max) {
        if (value == null || value.length() < min || value.length() > max) {
            throw new IllegalArgumentException(what + " '" + value + "' must be " + min + ".." + max + " characters");
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < 0x20 || c > 0x7e) {
                throw new IllegalArgumentException(what + " '" + value + "' must be printable ASCII");
            }
        }
    }
}
