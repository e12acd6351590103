package org.blockmirror.local;

import java.io.IOException;
import java.nio.ByteBuffer;
import org.blockmirror.journal.Journal;
import org.blockmirror.journal.JournalReader;
import org.blockmirror.journal.JournalRecord;
import org.blockmirror.journal.RecordType;
import org.blockmirror.local.ExtentMap.Extent;
import org.blockmirror.volume.Volume;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Start-up redo: writes the journal's unacknowledged records onto the local volume again, in
 * seq order. The journal is written before the volume, so after a crash the volume may lack the
 * newest records; redoing them makes it equal to what the remote will receive.
 *
 * <p>COMPACT records carry no data: their data exists only on the volume. So they are not
 * redone, and neither is any part of an earlier WRITE or TRIM that a later COMPACT record
 * overwrote — redoing it would roll the block back behind the COMPACT write, which the host may
 * have been acknowledged for. (If that COMPACT write's volume write did not complete, the host
 * was not acknowledged for it nor for anything after it, and the block keeps whatever the
 * volume holds; the remote later reads that same content, so both units agree.) PRESERVED
 * records hold older content that the volume must not get back; they are skipped.
 */
final class JournalRedo {

    private static final Logger log = LoggerFactory.getLogger(JournalRedo.class);

    private final Journal journal;
    private final Volume volume;
    private final int blockSize;

    JournalRedo(Journal journal, Volume volume) {
        this.journal = journal;
        this.volume = volume;
        this.blockSize = volume.blockSize();
    }

    /** Redoes from the journal's tail and flushes; returns the number of records written again. */
    long run() throws IOException {
        return run(journal.tailSeq());
    }

    /**
     * Redoes from {@code from} (the volume is known to hold everything before it) and flushes;
     * returns the number of records written again.
     */
    long run(long from) throws IOException {
        long to = journal.durableSeq();
        if (to < from) {
            return 0;
        }
        ExtentMap newestCompact = newestCompactPerBlock(from);
        JournalReader reader = journal.reader(from);
        long count = 0;
        for (JournalRecord r = reader.next(); r != null; r = reader.next()) {
            if (r.type() != RecordType.WRITE && r.type() != RecordType.TRIM) {
                continue;
            }
            long at = r.lba();
            long end = r.lba() + r.blockCount();
            for (Extent later : newestCompact.pieces(r.lba(), r.blockCount())) {
                if (later.seq() > r.seq()) {
                    redo(r, at, later.lba());
                    at = later.end();
                }
            }
            redo(r, at, end);
            count++;
        }
        volume.flush();
        log.info("redid {} unacknowledged journal records (seq {} to {}) onto {}", count, from, to, volume.describe());
        return count;
    }

    /** For every block, the seq of the newest COMPACT record that wrote it. */
    private ExtentMap newestCompactPerBlock(long from) throws IOException {
        ExtentMap map = new ExtentMap();
        JournalReader reader = journal.reader(from);
        CompactIndex.ScratchBuffer scratch = new CompactIndex.ScratchBuffer();
        for (JournalRecord r = reader.next(scratch); r != null; r = reader.next(scratch)) {
            if (r.type() == RecordType.COMPACT) {
                map.paint(r.lba(), r.blockCount(), r.seq());
            }
        }
        return map;
    }

    /** Writes blocks {@code [from, to)} of record {@code r} (its data, or zeros for a TRIM). */
    private void redo(JournalRecord r, long from, long to) throws IOException {
        if (from >= to) {
            return;
        }
        if (r.type() == RecordType.WRITE) {
            int start = r.data().position() + (int) (from - r.lba()) * blockSize;
            volume.write(from * blockSize, r.data().slice(start, (int) (to - from) * blockSize));
            return;
        }
        ByteBuffer zeros = ByteBuffer.allocate((int) Math.min((to - from) * blockSize, 1 << 20));
        for (long pos = from * blockSize, end = to * blockSize; pos < end; ) {
            int n = (int) Math.min(zeros.capacity(), end - pos);
            zeros.clear().limit(n);
            volume.write(pos, zeros);
            pos += n;
        }
    }
}
