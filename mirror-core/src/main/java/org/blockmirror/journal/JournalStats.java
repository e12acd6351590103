package org.blockmirror.journal;

/**
 * A consistent snapshot of the journal's counters.
 *
 * @param capacityBytes     size of the record region
 * @param usedBytes         bytes from the persisted tail to the head, headers and padding included
 *                          (space that cannot be reused yet)
 * @param recordCount       records not yet acknowledged (tail..head-1)
 * @param tailSeq           oldest unacknowledged seq (everything below was released)
 * @param persistedTailSeq  the tail recorded in the superblock; recovery restarts here
 * @param headSeq           the next seq to be assigned
 * @param durableSeq        the last synced seq (0 if none); readers see records up to here
 * @param full              an append is waiting for space or failed for lack of it
 * @param epoch             the epoch of this open
 * @param unreleasedBytes   bytes from the released tail to the head: the records not yet acknowledged
 *                          (what the high-water mark measures; usedBytes also counts released
 *                          records until the next tail checkpoint)
 */
public record JournalStats(long capacityBytes, long usedBytes, long recordCount, long tailSeq,
                           long persistedTailSeq, long headSeq, long durableSeq, boolean full, long epoch,
                           long unreleasedBytes) {
}
