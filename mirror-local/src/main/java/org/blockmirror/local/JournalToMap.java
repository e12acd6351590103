package org.blockmirror.local;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.BitSet;
import org.blockmirror.dirtymap.DirtyMap;
import org.blockmirror.journal.Journal;
import org.blockmirror.journal.JournalCorruptionException;
import org.blockmirror.journal.JournalException;
import org.blockmirror.journal.JournalReader;
import org.blockmirror.journal.JournalRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a run of journal records into dirty-map entries: the chunks every record touches are
 * marked, all with one durable write of the map. Used when the journal collapses into bitmap
 * mode and when the operator flushes the oldest part of the queue. The caller releases the
 * records afterwards: a record must never leave the journal before its blocks are in the map.
 *
 * <p>Acknowledgements may release records while this reads them; a record released meanwhile
 * is on the remote and needs no mark, so the scan simply continues at the new tail.
 */
final class JournalToMap {

    private static final Logger log = LoggerFactory.getLogger(JournalToMap.class);
    /** Chunks marked per durable write of the map (bounds the array handed to it). */
    private static final int CHUNKS_PER_MARK = 1 << 16;

    /** What a conversion did. */
    record Result(long records, long newlyDirtyChunks) {
    }

    private JournalToMap() {
    }

    /** Marks the blocks of every record from the tail through {@code throughSeq} (inclusive), durably. */
    static Result mark(Journal journal, DirtyMap map, long throughSeq) throws IOException {
        BitSet chunks = new BitSet();
        boolean wholeVolume = false;
        long records = 0;
        long seq = journal.tailSeq();
        ByteBuffer[] scratch = {ByteBuffer.allocate(0)};
        while (seq <= throughSeq) {
            try {
                JournalReader reader = journal.reader(seq);
                while (seq <= throughSeq) {
                    JournalRecord r;
                    try {
                        r = reader.next(len -> {
                            if (scratch[0].capacity() < len) {
                                scratch[0] = ByteBuffer.allocate(len);
                            }
                            return scratch[0].clear().limit(len);
                        });
                    } catch (JournalCorruptionException e) {
                        // Its extent is unknown: the whole volume is the only safe mark.
                        log.error("{}; marking the whole volume dirty instead of its blocks", e.getMessage());
                        wholeVolume = true;
                        seq++;
                        reader = journal.reader(seq);
                        continue;
                    }
                    if (r == null) {
                        throw new IOException("journal record " + seq + " is not durable yet; cannot move it into"
                                + " the dirty map");
                    }
                    long first = r.lba() / map.blocksPerChunk();
                    long last = (r.lba() + r.blockCount() - 1) / map.blocksPerChunk();
                    chunks.set((int) first, (int) last + 1);
                    records++;
                    seq++;
                }
            } catch (JournalException e) {
                long tail = journal.tailSeq();
                if (tail <= seq) {
                    throw e;
                }
                seq = tail; // acknowledged while we read: nothing to mark for those
            }
        }
        long before = map.dirtyChunks();
        if (wholeVolume) {
            map.markAll();
        } else {
            long[] batch = new long[Math.min(CHUNKS_PER_MARK, Math.max(1, chunks.cardinality()))];
            int n = 0;
            for (int c = chunks.nextSetBit(0); c >= 0; c = chunks.nextSetBit(c + 1)) {
                batch[n++] = c;
                if (n == batch.length) {
                    map.markChunks(batch);
                    n = 0;
                }
            }
            if (n > 0) {
                map.markChunks(java.util.Arrays.copyOf(batch, n));
            }
        }
        // concurrent host writes may mark chunks too: the count is for the log and status only
        return new Result(records, Math.max(0, map.dirtyChunks() - before));
    }
}
