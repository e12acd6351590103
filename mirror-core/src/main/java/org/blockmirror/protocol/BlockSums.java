package org.blockmirror.protocol;

import java.util.Arrays;
import java.util.Objects;

/**
 * Local → remote: the CRC32C of each block of {@code crcs.length} consecutive blocks from
 * {@code lba} (type 14). The remote answers BLOCK_DIFF ({@link ChecksumDiff}) with the same tag.
 */
public record BlockSums(long tag, long lba, int[] crcs) implements Message {

    public BlockSums {
        Objects.requireNonNull(crcs, "crcs");
        if (lba < 0) {
            throw new IllegalArgumentException("LBA " + Long.toUnsignedString(lba) + " is above 2^63-1");
        }
        if (crcs.length < 1 || crcs.length > RangeSums.MAX_RANGES) {
            throw new IllegalArgumentException("BLOCK_SUMS carries " + crcs.length + " blocks, must carry 1.."
                    + RangeSums.MAX_RANGES);
        }
        crcs = crcs.clone();
    }

    @Override
    public int[] crcs() {
        return crcs.clone();
    }

    public int blocks() {
        return crcs.length;
    }

    public int crc(int index) {
        return crcs[index];
    }

    @Override
    public FrameType frameType() {
        return FrameType.BLOCK_SUMS;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BlockSums b && b.tag == tag && b.lba == lba && Arrays.equals(b.crcs, crcs);
    }

    @Override
    public int hashCode() {
        return Objects.hash(tag, lba, Arrays.hashCode(crcs));
    }

    @Override
    public String toString() {
        return "BlockSums[tag=" + tag + ", lba=" + lba + ", blocks=" + crcs.length + "]";
    }
}
