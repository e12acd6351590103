package org.blockmirror.journal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.blockmirror.time.FakeClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JournalEpochAndTailTest {
    private static final int BLOCK = 512;

    @TempDir
    Path dir;

    private final FakeClock clock = new FakeClock();
    private final Random rnd = new Random(3);

    private JournalOptions options() {
        return JournalOptions.of(BLOCK).withMaxRecordDataBytes(8 * BLOCK);
    }

    private byte[] block(int fill) {
        byte[] b = new byte[BLOCK];
        Arrays.fill(b, (byte) fill);
        return b;
    }

    /** A crash: the file as it is now, copied while the journal is still open. */
    private Path crashImage(Path live, String name) throws Exception {
        Path p = dir.resolve(name);
        Files.write(p, Files.readAllBytes(live));
        return p;
    }

    /**
     * Run 1 tears record 6 while record 7 (never acknowledged) survives; recovery ends at 6.
     * Run 2 writes a new record 6 of the same size at the same place and crashes before 7.
     * Run 3 must end at the new 6: the surviving old 7 carries an older epoch.
     */
    @Test
    void staleRecordAfterARewrittenHeadIsNotResurrected() throws Exception {
        Path run1 = dir.resolve("run1");
        long old7Offset;
        byte[] old7;
        try (Journal j = Journal.format(run1, Journal.REGION_OFFSET + 64 * 1024, options(), clock)) {
            for (int i = 1; i <= 7; i++) {
                j.append(RecordType.WRITE, i, 1, ByteBuffer.wrap(block(i)), 0);
                if (i == 5 || i == 7) {
                    j.sync();
                }
            }
            JournalReader r = j.reader(6);
            long r6 = r.next().fileOffset();
            JournalRecord r7 = r.next();
            old7Offset = r7.fileOffset();
            Path crashed = crashImage(run1, "run2");
            tearByte(crashed, r6 + 512 + 100);   // record 6's data was torn
            old7 = Arrays.copyOfRange(Files.readAllBytes(crashed), (int) old7Offset, (int) old7Offset + 1024);
        }
        Path run2 = dir.resolve("run2");
        long new6Offset;
        try (Journal j = Journal.open(run2, options(), clock)) {
            assertEquals(6, j.recoveryReport().headSeq(), j.recoveryReport().toString());
            assertEquals(2, j.epoch());
            assertEquals(6, j.append(RecordType.WRITE, 600, 1, ByteBuffer.wrap(block(0x66)), 0));
            j.sync();
            new6Offset = j.reader(6).next().fileOffset();
            crashImage(run2, "run3");
        }
        Path run3 = dir.resolve("run3");
        byte[] image = Files.readAllBytes(run3);
        assertEquals(old7Offset, new6Offset + 1024, "the new 6 has the old 6's place, so the old 7 follows it");
        assertArrayEquals(old7, Arrays.copyOfRange(image, (int) old7Offset, (int) old7Offset + 1024),
                "the stale record 7 is intact on disk: only its epoch can reject it");
        try (Journal j = Journal.open(run3, options(), clock)) {
            RecoveryReport report = j.recoveryReport();
            assertEquals(7, report.headSeq(), report.toString());
            assertTrue(report.stopReason().contains("epoch 1"), report.stopReason());
            JournalReader r = j.reader(1);
            for (int i = 1; i <= 5; i++) {
                assertEquals(i, r.next().lba());
            }
            JournalRecord six = r.next();
            assertEquals(600, six.lba());
            assertEquals(2, six.epoch());
            assertNull(r.next());
        }
    }

    private static void tearByte(Path p, long offset) throws Exception {
        byte[] b = Files.readAllBytes(p);
        b[(int) offset] ^= 0x5a;
        Files.write(p, b);
    }

    @Test
    void staleTailOnlyCausesResends() throws Exception {
        JournalOptions lazy = options().withCheckpointPolicy(1.0, 1, TimeUnit.HOURS);
        Path live = dir.resolve("live");
        List<Appended> appended = new ArrayList<>();
        try (Journal j = Journal.format(live, Journal.REGION_OFFSET + 64 * 1024, lazy, clock)) {
            for (int i = 0; i < 20; i++) {
                appended.add(Appended.random(j, rnd, BLOCK, 4, 0));
            }
            j.sync();
            j.release(15);
            assertEquals(16, j.tailSeq());
            assertEquals(1, j.stats().persistedTailSeq(), "release alone does not write the superblock");
            JournalStats released = j.stats();
            assertTrue(released.unreleasedBytes() > 0 && released.unreleasedBytes() < released.usedBytes() / 2,
                    "5 of 20 records are unreleased, though all 20 still occupy the region: " + released);
            try (Journal crashed = Journal.open(crashImage(live, "crash1"), lazy, clock)) {
                assertEquals(1, crashed.recoveryReport().tailSeq(), "recovery starts at the older, persisted tail");
                assertEquals(21, crashed.recoveryReport().headSeq());
                JournalReader r = crashed.reader(1);
                for (Appended a : appended) {
                    a.assertMatches(r.next());   // records 1..15 are sent again; nothing is lost
                }
                assertNull(r.next());
            }
        }
        // A clean close persisted the tail: nothing is re-sent.
        try (Journal j = Journal.open(live, lazy, clock)) {
            assertEquals(16, j.recoveryReport().tailSeq());
            assertEquals(21, j.recoveryReport().headSeq());
            assertEquals(5, j.stats().recordCount());
        }
    }

    @Test
    void tailIsCheckpointedByIntervalAndByFreedFraction() throws Exception {
        Path live = dir.resolve("live");
        JournalOptions policy = options().withCheckpointPolicy(0.25, 1, TimeUnit.SECONDS);
        try (Journal j = Journal.format(live, Journal.REGION_OFFSET + 64 * 1024, policy, clock)) {
            for (int i = 0; i < 20; i++) {
                j.append(RecordType.WRITE, i, 2, ByteBuffer.allocate(2 * BLOCK), 0);   // 1536 bytes each
            }
            j.sync();
            j.release(2);
            j.sync();
            assertEquals(1, j.stats().persistedTailSeq(), "neither a second passed nor a quarter was freed");
            clock.advance(1, TimeUnit.SECONDS);
            j.sync();
            assertEquals(3, j.stats().persistedTailSeq(), "a second later the moved tail is persisted");
            j.release(14);   // 12 * 1536 bytes > a quarter of 64 KiB
            j.sync();
            assertEquals(15, j.stats().persistedTailSeq(), "a quarter of the region was freed");
            try (Journal crashed = Journal.open(crashImage(live, "crash"), policy, clock)) {
                assertEquals(15, crashed.recoveryReport().tailSeq());
                assertEquals(21, crashed.recoveryReport().headSeq());
            }
        }
    }
}
