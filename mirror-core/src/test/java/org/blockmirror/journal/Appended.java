package org.blockmirror.journal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Random;

/** What a test appended, to compare with what the journal gives back. */
record Appended(long seq, RecordType type, long lba, int blockCount, byte[] data) {

    /** Appends a random WRITE (1..maxBlocks blocks) or, one time in five, a TRIM. */
    static Appended random(Journal journal, Random rnd, int blockSize, int maxBlocks, long deadlineNanos)
            throws IOException {
        int blocks = 1 + rnd.nextInt(maxBlocks);
        long lba = rnd.nextInt(1 << 20);
        if (rnd.nextInt(5) == 0) {
            long seq = journal.append(RecordType.TRIM, lba, blocks, null, deadlineNanos);
            return new Appended(seq, RecordType.TRIM, lba, blocks, new byte[0]);
        }
        byte[] data = new byte[blocks * blockSize];
        rnd.nextBytes(data);
        long seq = journal.append(RecordType.WRITE, lba, blocks, ByteBuffer.wrap(data), deadlineNanos);
        return new Appended(seq, RecordType.WRITE, lba, blocks, data);
    }

    void assertMatches(JournalRecord r) {
        assertEquals(seq, r.seq(), "seq");
        assertEquals(type, r.type(), "type of seq " + seq);
        assertEquals(lba, r.lba(), "lba of seq " + seq);
        assertEquals(blockCount, r.blockCount(), "block count of seq " + seq);
        byte[] got = new byte[r.data().remaining()];
        r.data().duplicate().get(got);
        assertArrayEquals(data, got, "data of seq " + seq);
    }
}
