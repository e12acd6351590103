package org.blockmirror.local;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import org.blockmirror.journal.Journal;
import org.blockmirror.local.CompactIndex.Preservation;
import org.blockmirror.local.ExtentMap.Extent;
import org.blockmirror.volume.Volume;

/**
 * The journal stage's half of copy-on-overwrite (SPEC F8; the seed's read/write/write): before a
 * host write or trim is journalled, every block of it that an unacknowledged COMPACT record
 * still needs from the volume is read from the volume and appended as a PRESERVED record, and
 * registered in the {@link CompactIndex}. The overwrite's own record follows in the same journal
 * batch, so the journal sync makes the copy durable before the volume stage overwrites the block.
 *
 * <p>The block must be read as the COMPACT record left it, so this waits until the volume stage
 * has written every host write up to that record (no later write touched the block: it would
 * have preserved it already). The caller must have handed that record's batch to the volume
 * stage ({@link #newestRecordNeeding}). Journal stage thread only.
 */
final class CopyOnOverwrite {

    private final CompactIndex index;
    private final Journal journal;
    private final Volume volume;
    private final VolumeProgress progress;
    private final int blockSize;
    private final int maxBlocksPerRecord;

    CopyOnOverwrite(CompactIndex index, Journal journal, Volume volume, VolumeProgress progress, int maxRecordBytes) {
        this.index = index;
        this.journal = journal;
        this.volume = volume;
        this.progress = progress;
        this.blockSize = volume.blockSize();
        this.maxBlocksPerRecord = Math.max(1, maxRecordBytes / blockSize);
    }

    /** The newest COMPACT record a write to {@code [lba, lba+blocks)} must preserve blocks of; 0 if none. */
    long newestRecordNeeding(long lba, long blocks) {
        long newest = 0;
        for (Extent e : index.needingPreservation(lba, blocks)) {
            newest = Math.max(newest, e.seq());
        }
        return newest;
    }

    /**
     * Preserves what a write to {@code [lba, lba+blocks)} would destroy.
     *
     * @param deadlineNanos for journal space, as for the write itself
     * @return blocks preserved
     * @throws IOException reading the volume or appending failed, or the volume stage cannot get
     *                     there; records appended so far stay valid (they hold the right content)
     */
    long preserve(long lba, long blocks, long deadlineNanos) throws IOException {
        List<Extent> pieces = index.needingPreservation(lba, blocks);
        long preserved = 0;
        for (Extent piece : pieces) {
            progress.awaitVolumeThrough(piece.seq());
            for (long done = 0; done < piece.blocks(); done += maxBlocksPerRecord) {
                int n = (int) Math.min(maxBlocksPerRecord, piece.blocks() - done);
                long at = piece.lba() + done;
                ByteBuffer old = ByteBuffer.allocate(n * blockSize);
                volume.read(at * blockSize, old);
                long seq = journal.appendPreserved(piece.seq(), at, n, old.flip(), deadlineNanos);
                index.preserved(new Preservation(piece.seq(), at, n, seq));
                preserved += n;
            }
        }
        return preserved;
    }
}
