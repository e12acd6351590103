package org.blockmirror.protocol;

import java.util.List;
import java.util.Objects;

/**
 * Local → remote: checksums of whole ranges (type 12). The remote answers {@link RangeDiff}
 * with the same tag.
 *
 * @param tag    chosen by the sender, echoed in the answer
 * @param ranges 1..{@link #MAX_RANGES} ranges
 */
public record RangeSums(long tag, List<ChecksumRange> ranges) implements Message {

    /** Most ranges in one frame (keeps it under 1 MiB). */
    public static final int MAX_RANGES = 65536;

    public RangeSums {
        ranges = List.copyOf(Objects.requireNonNull(ranges, "ranges"));
        if (ranges.isEmpty() || ranges.size() > MAX_RANGES) {
            throw new IllegalArgumentException("RANGE_SUMS carries " + ranges.size() + " ranges, must carry 1.."
                    + MAX_RANGES);
        }
    }

    @Override
    public FrameType frameType() {
        return FrameType.RANGE_SUMS;
    }
}
