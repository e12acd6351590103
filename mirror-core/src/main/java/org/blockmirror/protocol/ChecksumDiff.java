package org.blockmirror.protocol;

import java.util.BitSet;
import java.util.Objects;

/**
 * The remote's answer to a checksum frame: which of its {@code count} entries differ (bit i set:
 * entry i differs). RANGE_DIFF (type 13) answers RANGE_SUMS, BLOCK_DIFF (type 15) answers
 * BLOCK_SUMS; both have this layout.
 */
public record ChecksumDiff(FrameType frameType, long tag, int count, BitSet differing) implements Message {

    public ChecksumDiff {
        if (frameType != FrameType.RANGE_DIFF && frameType != FrameType.BLOCK_DIFF) {
            throw new IllegalArgumentException("a checksum diff is RANGE_DIFF or BLOCK_DIFF, not " + frameType);
        }
        if (count < 1 || count > RangeSums.MAX_RANGES) {
            throw new IllegalArgumentException(frameType + " of " + count + " entries is not in 1.."
                    + RangeSums.MAX_RANGES);
        }
        differing = (BitSet) Objects.requireNonNull(differing, "differing").clone();
        if (differing.length() > count) {
            throw new IllegalArgumentException(frameType + ": entry " + (differing.length() - 1)
                    + " marked differing, but there are only " + count);
        }
    }

    public static ChecksumDiff ranges(long tag, int count, BitSet differing) {
        return new ChecksumDiff(FrameType.RANGE_DIFF, tag, count, differing);
    }

    public static ChecksumDiff blocks(long tag, int count, BitSet differing) {
        return new ChecksumDiff(FrameType.BLOCK_DIFF, tag, count, differing);
    }

    public boolean differs(int index) {
        return differing.get(index);
    }
}
