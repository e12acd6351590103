package org.blockmirror.local;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import java.util.zip.CRC32C;
import org.blockmirror.journal.Journal;
import org.blockmirror.journal.JournalException;
import org.blockmirror.journal.JournalRecord;
import org.blockmirror.journal.RecordType;
import org.blockmirror.local.CompactIndex.Preservation;
import org.blockmirror.volume.Volume;

/**
 * The sender's half of compact mode: turns the journal records without their own data into
 * ordinary WRITE records just before they are sent, so the remote sees nothing new.
 *
 * <ul>
 *   <li><b>COMPACT</b>: each block comes from its PRESERVED copy if there is one, else from the
 *       local volume (after the volume stage has written the record). A seqlock-style second
 *       look at the preservations after the volume reads decides: a block preserved in the
 *       meantime is taken from the copy; one still not preserved was read before any newer
 *       write reached the volume, because preservation is registered before the overwrite is
 *       handed to the volume stage. The data CRC32C is computed here.</li>
 *   <li><b>PRESERVED</b>: it holds a seq of its own, which the remote must see to keep its
 *       order contiguous. It is sent as a WRITE of its first block with the content that block
 *       already has at that point of the order (nothing wrote it since the COMPACT record), so
 *       applying it changes nothing.</li>
 * </ul>
 * Replicator thread only.
 */
final class CompactSendData {

    private static final long DURABLE_WAIT_MS = 30_000;

    private final CompactIndex index;
    private final Journal journal;
    private final Volume volume;
    private final VolumeProgress progress;
    private final int blockSize;

    CompactSendData(CompactIndex index, Journal journal, Volume volume, VolumeProgress progress) {
        this.index = index;
        this.journal = journal;
        this.volume = volume;
        this.progress = progress;
        this.blockSize = volume.blockSize();
    }

    /**
     * The record as it goes on the wire: WRITE and TRIM records as they are, COMPACT and
     * PRESERVED ones as WRITE records with data. A COMPACT record's data buffer comes from
     * {@code buffers} (like the data the journal reader reads), so the caller owns it.
     */
    JournalRecord sendable(JournalRecord rec, IntFunction<ByteBuffer> buffers) throws IOException {
        return switch (rec.type()) {
            case COMPACT -> assemble(rec, buffers);
            case PRESERVED -> {
                ByteBuffer first = rec.data().slice(rec.data().position(), blockSize);
                yield asWrite(rec, rec.lba(), 1, first);
            }
            default -> rec;
        };
    }

    private JournalRecord assemble(JournalRecord rec, IntFunction<ByteBuffer> buffers) throws IOException {
        progress.awaitVolumeThrough(rec.seq());
        int blocks = rec.blockCount();
        ByteBuffer data = buffers.apply(blocks * blockSize);
        int base = data.position();
        Map<Long, ByteBuffer> copies = new HashMap<>();
        List<Preservation> before = index.preservationsOf(rec.seq());
        boolean[] fromVolume = new boolean[blocks];
        for (int i = 0; i < blocks; ) {
            Preservation p = covering(before, rec.lba() + i);
            if (p != null) {
                copyPreserved(p, rec.lba() + i, data, base + i * blockSize, copies);
                i++;
                continue;
            }
            int run = 1; // read a run of blocks without copies in one go
            while (i + run < blocks && covering(before, rec.lba() + i + run) == null) {
                run++;
            }
            volume.read((rec.lba() + i) * blockSize, data.slice(base + i * blockSize, run * blockSize));
            for (int k = i; k < i + run; k++) {
                fromVolume[k] = true;
            }
            i += run;
        }
        // The second look: whatever was preserved while we read the volume may have been overwritten.
        List<Preservation> after = index.preservationsOf(rec.seq());
        if (after.size() != before.size()) {
            for (int i = 0; i < blocks; i++) {
                Preservation p = fromVolume[i] ? covering(after, rec.lba() + i) : null;
                if (p != null) {
                    copyPreserved(p, rec.lba() + i, data, base + i * blockSize, copies);
                }
            }
        }
        return asWrite(rec, rec.lba(), blocks, data.slice(base, blocks * blockSize));
    }

    private static Preservation covering(List<Preservation> list, long block) {
        for (Preservation p : list) {
            if (p.covers(block)) {
                return p;
            }
        }
        return null;
    }

    private void copyPreserved(Preservation p, long block, ByteBuffer dst, int dstOffset, Map<Long, ByteBuffer> copies)
            throws IOException {
        ByteBuffer copy = copies.get(p.preservedSeq());
        if (copy == null) {
            copy = readPreserved(p);
            copies.put(p.preservedSeq(), copy);
        }
        int from = (int) (block - p.lba()) * blockSize;
        dst.put(dstOffset, copy, copy.position() + from, blockSize);
    }

    /** The PRESERVED record's data; it is durable at once or soon (it is synced with the overwrite). */
    private ByteBuffer readPreserved(Preservation p) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(DURABLE_WAIT_MS);
        while (true) {
            // a reader may start at most one past the durable head
            JournalRecord r = journal.durableSeq() < p.preservedSeq() ? null : journal.reader(p.preservedSeq()).next();
            if (r != null) {
                if (r.type() != RecordType.PRESERVED || r.preservedSeq() != p.compactSeq() || r.lba() != p.lba()
                        || r.blockCount() != p.blocks()) {
                    throw new JournalException("journal " + journal.path() + ": record " + p.preservedSeq()
                            + " should be the PRESERVED copy of blocks " + p.lba() + "+" + p.blocks() + " of seq "
                            + p.compactSeq() + " but is " + r.type() + " of blocks " + r.lba() + "+"
                            + r.blockCount() + " for seq " + r.preservedSeq());
                }
                return r.data();
            }
            try {
                boolean durable = journal.awaitDurable(p.preservedSeq(), 100, TimeUnit.MILLISECONDS);
                if (!durable && System.nanoTime() > deadline) {
                    throw new JournalException("journal " + journal.path() + ": the PRESERVED record " + p.preservedSeq()
                            + " did not become durable within " + DURABLE_WAIT_MS + " ms");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted while waiting for PRESERVED record "
                        + p.preservedSeq());
            }
        }
    }

    private static JournalRecord asWrite(JournalRecord rec, long lba, int blocks, ByteBuffer data) {
        CRC32C crc = new CRC32C();
        crc.update(data.duplicate());
        return new JournalRecord(rec.seq(), rec.epoch(), rec.timestampMillis(), RecordType.WRITE, lba, blocks,
                (int) crc.getValue(), data.remaining(), data, rec.fileOffset(), 0);
    }
}
