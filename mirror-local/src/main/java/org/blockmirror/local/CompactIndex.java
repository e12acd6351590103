package org.blockmirror.local;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import org.blockmirror.journal.Journal;
import org.blockmirror.journal.JournalReader;
import org.blockmirror.journal.JournalRecord;
import org.blockmirror.journal.RecordType;
import org.blockmirror.local.ExtentMap.Extent;

/**
 * Which blocks the unacknowledged COMPACT records still need from the local volume, and where
 * the copies of the others went (copy-on-overwrite, SPEC F8; docs/architecture.md, "Compact
 * mode and copy-on-overwrite").
 *
 * <ul>
 *   <li><b>On the volume</b>: blocks whose newest write is a COMPACT record the remote has not
 *       acknowledged. Their content on the volume is still that record's data, so a newer
 *       write to one of them must first copy it aside (a PRESERVED record).</li>
 *   <li><b>Preserved</b>: per COMPACT record, the PRESERVED records holding its overwritten
 *       blocks. The sender takes a block from there if it is listed, else from the volume.</li>
 * </ul>
 * Preservations are registered by the journal stage <em>before</em> the overwriting write goes
 * to the volume, which is what lets the sender trust a volume read that is followed by a look
 * here finding no preservation. The remote's acknowledgements drop both kinds of entry.
 * Thread-safe: the journal stage writes, the sender reads, acknowledgements prune.
 */
final class CompactIndex {

    /** Blocks {@code lba .. lba+blocks-1} of COMPACT record {@code compactSeq}, saved in PRESERVED record {@code preservedSeq}. */
    record Preservation(long compactSeq, long lba, int blocks, long preservedSeq) {
        boolean covers(long block) {
            return block >= lba && block < lba + blocks;
        }
    }

    private final ExtentMap onVolume = new ExtentMap();
    private final TreeMap<Long, List<Preservation>> preserved = new TreeMap<>();
    private long acknowledgedSeq;
    private final AtomicLong compactRecords = new AtomicLong();
    private final AtomicLong preservedBlocks = new AtomicLong();

    /**
     * The parts of {@code [lba, lba+blocks)} that an unacknowledged COMPACT record still needs
     * from the volume, in LBA order, each labelled with that record's seq.
     */
    synchronized List<Extent> needingPreservation(long lba, long blocks) {
        return onVolume.pieces(lba, blocks);
    }

    /**
     * A record was appended: its blocks' newest content is now its own, so no earlier COMPACT
     * record can read them from the volume any more (the caller preserved them first); a COMPACT
     * record's blocks now live on the volume for it.
     */
    synchronized void appended(RecordType type, long seq, long lba, long blocks) {
        switch (type) {
            case WRITE, TRIM -> onVolume.cut(lba, blocks);
            case COMPACT -> {
                if (seq > acknowledgedSeq) {
                    onVolume.paint(lba, blocks, seq);
                } else {
                    onVolume.cut(lba, blocks);
                }
                compactRecords.incrementAndGet();
            }
            default -> throw new IllegalArgumentException("not a host write: " + type);
        }
    }

    /** The blocks of {@code p} were saved in a PRESERVED record: the sender takes them from there. */
    synchronized void preserved(Preservation p) {
        onVolume.cut(p.lba, p.blocks);
        if (p.compactSeq > acknowledgedSeq) {
            preserved.computeIfAbsent(p.compactSeq, k -> new ArrayList<>()).add(p);
        }
        preservedBlocks.addAndGet(p.blocks);
    }

    /** The remote holds every record up to {@code seq}: nothing of them is needed any more. */
    synchronized void acknowledged(long seq) {
        if (seq <= acknowledgedSeq) {
            return;
        }
        acknowledgedSeq = seq;
        onVolume.removeThrough(seq);
        preserved.headMap(seq, true).clear();
    }

    /** The preservations of COMPACT record {@code compactSeq} so far (a copy). */
    synchronized List<Preservation> preservationsOf(long compactSeq) {
        List<Preservation> p = preserved.get(compactSeq);
        return p == null ? List.of() : List.copyOf(p);
    }

    /** Extents still read from the volume (for tests and status). */
    synchronized int extentsOnVolume() {
        return onVolume.size();
    }

    /** COMPACT records appended since start (rebuilding counts those found in the journal). */
    long compactRecords() {
        return compactRecords.get();
    }

    /** Blocks copied aside into PRESERVED records since start (rebuilding counts those found). */
    long preservedBlocks() {
        return preservedBlocks.get();
    }

    /**
     * Rebuilds the index from the journal's unacknowledged records (at start-up, after the redo):
     * replays COMPACT, PRESERVED and the overwrites between them in seq order, exactly as the
     * journal stage built it before the restart.
     */
    static CompactIndex rebuild(Journal journal) throws IOException {
        CompactIndex index = new CompactIndex();
        long from = journal.tailSeq();
        index.acknowledgedSeq = from - 1;
        if (journal.durableSeq() < from) {
            return index;
        }
        JournalReader reader = journal.reader(from);
        ScratchBuffer scratch = new ScratchBuffer();
        for (JournalRecord r = reader.next(scratch); r != null; r = reader.next(scratch)) {
            if (r.type() == RecordType.PRESERVED) {
                index.preserved(new Preservation(r.preservedSeq(), r.lba(), r.blockCount(), r.seq()));
            } else {
                index.appended(r.type(), r.seq(), r.lba(), r.blockCount());
            }
        }
        return index;
    }

    /** One reused heap buffer for record data that is read only to be skipped. */
    static final class ScratchBuffer implements java.util.function.IntFunction<ByteBuffer> {
        private ByteBuffer buffer = ByteBuffer.allocate(0);

        @Override
        public ByteBuffer apply(int length) {
            if (buffer.capacity() < length) {
                buffer = ByteBuffer.allocate(length);
            }
            return buffer.clear().limit(length);
        }
    }
}
