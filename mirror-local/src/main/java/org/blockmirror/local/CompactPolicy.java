package org.blockmirror.local;

import org.blockmirror.journal.JournalStats;

/**
 * When the journal stage switches to compact mode: once the records not yet acknowledged fill
 * {@code highWaterPercent} of the journal (the same measure and setting as the
 * JOURNAL_HIGH_WATER alert, {@code journal.high-water-percent}).
 *
 * @param highWaterPercent 1..100, or 0 for never
 */
public record CompactPolicy(int highWaterPercent) {

    /** Compact mode off: every write carries its data. */
    public static final CompactPolicy NEVER = new CompactPolicy(0);

    public CompactPolicy {
        if (highWaterPercent < 0 || highWaterPercent > 100) {
            throw new IllegalArgumentException("compact-mode high-water mark " + highWaterPercent
                    + "% is not in 1..100 (0: never)");
        }
    }

    /** Whether the next write should be journalled as a COMPACT record. */
    boolean compact(JournalStats stats) {
        return highWaterPercent > 0 && stats.capacityBytes() > 0
                && stats.unreleasedBytes() * 100 >= (long) highWaterPercent * stats.capacityBytes();
    }
}
