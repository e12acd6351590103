package org.blockmirror.journal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Random;

/** What a test appended, to compare with what the journal gives back. */
record Appended(long seq, RecordType type, long lba, int blockCount, byte[] data, long preservedSeq) {

    /**
     * Appends a random record of every kind a daemon writes: mostly WRITEs (1..maxBlocks blocks),
     * one time in five a TRIM, one in ten a COMPACT and one in ten a PRESERVED record (referring
     * to one of the last ten seqs), so every recovery test also covers the format-2 types.
     */
    static Appended random(Journal journal, Random rnd, int blockSize, int maxBlocks, long deadlineNanos)
            throws IOException {
        int blocks = 1 + rnd.nextInt(maxBlocks);
        long lba = rnd.nextInt(1 << 20);
        int kind = rnd.nextInt(10);
        if (kind < 2) {
            long seq = journal.append(RecordType.TRIM, lba, blocks, null, deadlineNanos);
            return new Appended(seq, RecordType.TRIM, lba, blocks, new byte[0], 0);
        }
        if (kind == 2) {
            long seq = journal.append(RecordType.COMPACT, lba, blocks, null, deadlineNanos);
            return new Appended(seq, RecordType.COMPACT, lba, blocks, new byte[0], 0);
        }
        byte[] data = new byte[blocks * blockSize];
        rnd.nextBytes(data);
        long next = journal.nextSeq();
        if (kind == 3 && next > 1) {
            long of = Math.max(1, next - 1 - rnd.nextInt(10));
            long seq = journal.appendPreserved(of, lba, blocks, ByteBuffer.wrap(data), deadlineNanos);
            return new Appended(seq, RecordType.PRESERVED, lba, blocks, data, of);
        }
        long seq = journal.append(RecordType.WRITE, lba, blocks, ByteBuffer.wrap(data), deadlineNanos);
        return new Appended(seq, RecordType.WRITE, lba, blocks, data, 0);
    }

    void assertMatches(JournalRecord r) {
        assertEquals(seq, r.seq(), "seq");
        assertEquals(type, r.type(), "type of seq " + seq);
        assertEquals(lba, r.lba(), "lba of seq " + seq);
        assertEquals(blockCount, r.blockCount(), "block count of seq " + seq);
        assertEquals(preservedSeq, r.preservedSeq(), "preserved seq of seq " + seq);
        byte[] got = new byte[r.data().remaining()];
        r.data().duplicate().get(got);
        assertArrayEquals(data, got, "data of seq " + seq);
    }
}
