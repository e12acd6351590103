package org.blockmirror.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.blockmirror.time.FakeClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class JournalRoundTripTest {
    private static final int BLOCK = 512;
    private static final int MAX_BLOCKS = 8;

    @TempDir
    Path dir;

    private final FakeClock clock = new FakeClock();

    private JournalOptions options() {
        return JournalOptions.of(BLOCK).withMaxRecordDataBytes(MAX_BLOCKS * BLOCK);
    }

    /** Buffer sizes: the smallest allowed (appends write out before every sync) and the default. */
    @ParameterizedTest(name = "commit buffer {0} bytes")
    @ValueSource(ints = {2 * 512 + MAX_BLOCKS * BLOCK, 4 << 20})
    void readerReturnsExactlyWhatWasAppendedAcrossManyWraps(int commitBuffer) throws Exception {
        Path p = dir.resolve("j");
        JournalOptions options = options().withCommitBufferBytes(commitBuffer);
        long size = Journal.REGION_OFFSET + 128 * 1024;
        Random rnd = new Random(42);
        List<Appended> appended = new ArrayList<>();
        long bytesAppended = 0;
        try (Journal j = Journal.format(p, size, options, clock)) {
            JournalReader sender = j.reader(1);
            int read = 0;      // index into appended of the next record the sender expects
            int released = 0;  // records released so far
            while (bytesAppended < 6 * j.stats().capacityBytes()) {
                int groupSize = 1 + rnd.nextInt(10);
                for (int i = 0; i < groupSize; i++) {
                    Appended a = Appended.random(j, rnd, BLOCK, MAX_BLOCKS, clock.nanos());
                    assertEquals(appended.size() + 1, a.seq(), "seqs are consecutive from 1");
                    appended.add(a);
                    bytesAppended += 512 + a.data().length;
                }
                assertNull(readAll(sender, appended, read, -1), "nothing unsynced is visible");
                assertEquals(appended.size(), j.sync());
                read = readAll(sender, appended, read, appended.size());
                // The remote acknowledges with a random lag of up to 12 records.
                int target = Math.max(released, read - rnd.nextInt(13));
                if (target > released) {
                    j.release(target);
                    released = target;
                }
                clock.advanceMillis(rnd.nextInt(300));
                JournalStats s = j.stats();
                assertEquals(released + 1, s.tailSeq());
                assertEquals(appended.size() + 1, s.headSeq());
                assertEquals(appended.size(), s.durableSeq());
                assertEquals(appended.size() - released, s.recordCount());
                assertTrue(s.usedBytes() <= s.capacityBytes());
                assertFalse(s.full());
            }
            // A second reader from the tail sees the same records.
            JournalReader redo = j.reader(j.tailSeq());
            int n = readAll(redo, appended, released, appended.size());
            assertEquals(appended.size(), n);
        }
        assertTrue(bytesAppended > 5 * 128 * 1024, "the test wrapped around several times");
        // Clean close checkpointed the tail: reopening re-reads exactly the unacknowledged records.
        try (Journal j = Journal.open(p, options, clock)) {
            RecoveryReport r = j.recoveryReport();
            assertEquals(appended.size() + 1, r.headSeq());
            assertEquals(j.tailSeq(), r.tailSeq());
            assertEquals(1, r.previousEpoch(), "format + open ran epoch 1");
            assertEquals(2, r.epoch());
            readAll(j.reader(j.tailSeq()), appended, (int) j.tailSeq() - 1, appended.size());
        }
    }

    /**
     * Reads records from {@code reader} comparing them with {@code appended[from..]}, expecting to
     * stop (null) exactly at index {@code expectedEnd}; returns the index reached, or null if
     * expectedEnd is -1 and the first call already returned null.
     */
    private static Integer readAll(JournalReader reader, List<Appended> appended, int from, int expectedEnd)
            throws Exception {
        int i = from;
        JournalRecord r;
        while ((r = reader.next()) != null) {
            appended.get(i++).assertMatches(r);
        }
        if (expectedEnd == -1) {
            return i == from ? null : i;
        }
        assertEquals(expectedEnd, i, "reader stopped at the durable head");
        return i;
    }

    @Test
    void awaitDurableWakesWhenTheCommitterSyncs() throws Exception {
        try (Journal j = Journal.format(dir.resolve("j"), Journal.REGION_OFFSET + 64 * 1024, options(), clock)) {
            assertFalse(j.awaitDurable(1, 10, TimeUnit.MILLISECONDS), "nothing appended yet");
            boolean[] woke = new boolean[1];
            Thread waiter = new Thread(() -> {
                try {
                    woke[0] = j.awaitDurable(2, 10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            waiter.start();
            j.append(RecordType.TRIM, 0, 1, null, 0);
            j.append(RecordType.WRITE, 7, 1, ByteBuffer.allocate(BLOCK), 0);
            j.sync();
            waiter.join(10_000);
            assertTrue(woke[0]);
            JournalRecord r = j.reader(2).next();
            assertNotNull(r);
            assertEquals(7, r.lba());
        }
    }

    @Test
    void trimAndWriteKeepTheirFieldsAndTimestamps() throws Exception {
        try (Journal j = Journal.format(dir.resolve("j"), Journal.REGION_OFFSET + 64 * 1024, options(), clock)) {
            clock.advanceMillis(1234);
            long seq = j.append(RecordType.TRIM, 99, 16, null, 0);
            j.sync();
            JournalRecord r = j.reader(seq).next();
            assertEquals(RecordType.TRIM, r.type());
            assertEquals(99, r.lba());
            assertEquals(16, r.blockCount());
            assertEquals(0, r.data().remaining());
            assertEquals(clock.wallMillis(), r.timestampMillis());
            assertEquals(j.epoch(), r.epoch());
            assertEquals(512, r.diskLength());
        }
    }
}
