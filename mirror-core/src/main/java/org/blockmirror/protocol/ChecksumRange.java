package org.blockmirror.protocol;

/**
 * One entry of RANGE_SUMS: blocks {@code [lba, lba + blocks)} and the CRC32C over the big-endian
 * u32 CRC32Cs of each of its blocks (see {@code org.blockmirror.remirror.BlockChecksums}).
 */
public record ChecksumRange(long lba, int blocks, int crc) {

    public ChecksumRange {
        if (lba < 0) {
            throw new IllegalArgumentException("LBA " + Long.toUnsignedString(lba) + " is above 2^63-1");
        }
        if (blocks < 1) {
            throw new IllegalArgumentException("range of " + Integer.toUnsignedString(blocks)
                    + " blocks is not in 1..2^31-1");
        }
    }
}
