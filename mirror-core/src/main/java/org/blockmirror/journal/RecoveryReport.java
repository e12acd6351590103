package org.blockmirror.journal;

/**
 * What {@link Journal#open} found on disk.
 *
 * @param tailSeq       the persisted tail the scan started at
 * @param tailOffset    its region offset
 * @param headSeq       the next seq to assign (tailSeq + records)
 * @param headOffset    region offset where the next record goes
 * @param records       valid records recovered (WRITE and TRIM; PAD markers not counted)
 * @param bytes         region bytes they occupy, PAD filler included
 * @param previousEpoch the epoch of the run that wrote last
 * @param epoch         the epoch of this run (previousEpoch + 1, already persisted)
 * @param stopReason    why the scan stopped at the head, in words
 */
public record RecoveryReport(long tailSeq, long tailOffset, long headSeq, long headOffset, long records,
                             long bytes, long previousEpoch, long epoch, String stopReason) {
}
