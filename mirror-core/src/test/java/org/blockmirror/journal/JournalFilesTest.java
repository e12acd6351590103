package org.blockmirror.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.blockmirror.time.FakeClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Opening and formatting: every bad file is a clear error, a single bad superblock copy is survived. */
class JournalFilesTest {
    private static final int BLOCK = 4096;
    private static final long SIZE = Journal.REGION_OFFSET + 256 * 1024;

    @TempDir
    Path dir;

    private final FakeClock clock = new FakeClock();

    private JournalOptions options() {
        return JournalOptions.of(BLOCK).withMaxRecordDataBytes(4 * BLOCK).withLabel("vol-7");
    }

    private Path journalWithRecords(int n) throws Exception {
        Path p = dir.resolve("j");
        try (Journal j = Journal.format(p, SIZE, options(), clock)) {
            for (int i = 0; i < n; i++) {
                j.append(RecordType.WRITE, i, 1, ByteBuffer.allocate(BLOCK), 0);
            }
            j.sync();
        }
        return p;
    }

    private static void patch(Path p, long offset, byte... bytes) throws Exception {
        byte[] b = Files.readAllBytes(p);
        System.arraycopy(bytes, 0, b, (int) offset, bytes.length);
        Files.write(p, b);
    }

    private static void flip(Path p, long offset) throws Exception {
        byte[] b = Files.readAllBytes(p);
        b[(int) offset] ^= 1;
        Files.write(p, b);
    }

    private void assertOpenFails(Path p, JournalOptions o, String... fragments) {
        JournalException e = assertThrows(JournalException.class, () -> Journal.open(p, o, clock).close());
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), e.getMessage());
        }
        assertTrue(e.getMessage().contains(p.toString()), e.getMessage());
    }

    @Test
    void missingFile() {
        assertOpenFails(dir.resolve("nope"), options(), "does not exist");
    }

    @Test
    void directory() {
        assertOpenFails(dir, options(), "is a directory");
    }

    @Test
    void notAJournal() throws Exception {
        Path p = dir.resolve("random");
        byte[] junk = new byte[(int) SIZE];
        new Random(1).nextBytes(junk);
        Files.write(p, junk);
        assertOpenFails(p, options(), "not a blockmirror journal");
        Path tiny = dir.resolve("tiny");
        Files.write(tiny, new byte[100]);
        assertOpenFails(tiny, options(), "not a blockmirror journal", "too short");
    }

    @Test
    void unsupportedVersion() throws Exception {
        Path p = journalWithRecords(1);
        patch(p, 4, (byte) 0, (byte) 3);
        patch(p, Superblock.SIZE + 4, (byte) 0, (byte) 3);
        assertOpenFails(p, options(), "unsupported format version 3", "reads versions 1 to 2");
    }

    @Test
    void bothSuperblocksCorrupt() throws Exception {
        Path p = journalWithRecords(1);
        flip(p, 100);
        flip(p, Superblock.SIZE + 100);
        assertOpenFails(p, options(), "both superblock copies are corrupt", "CRC32C mismatch");
    }

    @ParameterizedTest(name = "copy {0} corrupt")
    @ValueSource(ints = {0, 1})
    void oneCorruptSuperblockIsRecoveredFromTheOther(int copy) throws Exception {
        Path p = journalWithRecords(5);
        flip(p, copy * Superblock.SIZE + 70);   // inside the tail seq
        try (Journal j = Journal.open(p, options(), clock)) {
            assertEquals(1, j.recoveryReport().tailSeq());
            assertEquals(6, j.recoveryReport().headSeq());
            JournalReader r = j.reader(1);
            for (int i = 0; i < 5; i++) {
                assertEquals(i, r.next().lba());
            }
        }
        // The next superblock write repaired the damaged copy or superseded it; both opens work.
        try (Journal j = Journal.open(p, options(), clock)) {
            assertEquals(6, j.recoveryReport().headSeq());
        }
    }

    /**
     * The tail was checkpointed and the space behind it reused; then one superblock copy rots.
     * The other copy must not roll the tail back onto overwritten records.
     */
    @ParameterizedTest(name = "copy {0} rots after reuse")
    @ValueSource(ints = {0, 1})
    void oneRottenSuperblockAfterReuseLosesNothing(int copy) throws Exception {
        Path p = dir.resolve("j");
        JournalOptions lazy = options().withCheckpointPolicy(1.0, 1, java.util.concurrent.TimeUnit.HOURS);
        long lastSeq;
        long tail;
        try (Journal j = Journal.format(p, SIZE, lazy, clock)) {
            for (int round = 0; round < 3; round++) {   // fill, release all but 4, refill: reuse twice
                while (true) {
                    try {
                        j.append(RecordType.WRITE, j.nextSeq(), 1, ByteBuffer.allocate(BLOCK), clock.nanos());
                        j.sync();
                    } catch (JournalFullException e) {
                        break;
                    }
                }
                j.release(j.durableSeq() - 4);
            }
            lastSeq = j.durableSeq();
            tail = j.stats().persistedTailSeq();
            assertTrue(tail > 1, "space was reused after a checkpoint");
            Files.write(dir.resolve("crash"), Files.readAllBytes(p));
        }
        Path crash = dir.resolve("crash");
        flip(crash, copy * Superblock.SIZE + 70);
        try (Journal j = Journal.open(crash, lazy, clock)) {
            assertEquals(tail, j.recoveryReport().tailSeq());
            assertEquals(lastSeq + 1, j.recoveryReport().headSeq(), j.recoveryReport().toString());
            JournalReader r = j.reader(tail);
            for (long seq = tail; seq <= lastSeq; seq++) {
                assertEquals(seq, r.next().lba());
            }
        }
    }

    @Test
    void blockSizeMismatch() throws Exception {
        Path p = journalWithRecords(1);
        assertOpenFails(p, JournalOptions.of(512), "block size mismatch", "formatted for 4096", "expects 512");
    }

    @Test
    void labelMismatch() throws Exception {
        Path p = journalWithRecords(1);
        assertOpenFails(p, options().withLabel("vol-8"), "label mismatch", "'vol-7'", "'vol-8'");
        try (Journal j = Journal.open(p, options().withLabel(null), clock)) {
            assertEquals(2, j.recoveryReport().headSeq(), "no expected label: not checked");
        }
    }

    @Test
    void truncatedFile() throws Exception {
        Path p = journalWithRecords(1);
        byte[] b = Files.readAllBytes(p);
        Files.write(p, java.util.Arrays.copyOf(b, b.length - 4096));
        assertOpenFails(p, options(), "truncated");
    }

    @Test
    void formatTooSmall() {
        Path p = dir.resolve("small");
        JournalException e = assertThrows(JournalException.class,
                () -> Journal.format(p, Journal.REGION_OFFSET + 8 * BLOCK, options(), clock));
        assertTrue(e.getMessage().contains("too small") && e.getMessage().contains(p.toString()), e.getMessage());
        assertTrue(Files.notExists(p), "nothing created");
    }

    @Test
    void formatNeverExtendsAnExistingFile() throws Exception {
        Path p = dir.resolve("existing");
        Files.write(p, new byte[(int) SIZE - 512]);
        JournalException e = assertThrows(JournalException.class, () -> Journal.format(p, SIZE, options(), clock));
        assertTrue(e.getMessage().contains("never extended"), e.getMessage());
        assertEquals(SIZE - 512, Files.size(p));
    }

    @Test
    void formatUsesAnExistingLargerFileInPlace() throws Exception {
        Path p = dir.resolve("device");
        Files.write(p, new byte[(int) SIZE * 2]);
        try (Journal j = Journal.format(p, SIZE, options(), clock)) {
            assertEquals(SIZE - Journal.REGION_OFFSET, j.stats().capacityBytes());
        }
        assertEquals(SIZE * 2, Files.size(p), "size unchanged");
    }

    @Test
    void openWithLargerRecordsThanTheRegionHolds() throws Exception {
        Path p = journalWithRecords(1);
        assertOpenFails(p, options().withMaxRecordDataBytes(256 * BLOCK), "too small for records");
    }

    @Test
    void reformattingAbandonsOldRecords() throws Exception {
        Path p = journalWithRecords(5);
        try (Journal j = Journal.format(p, SIZE, options(), clock)) {
            assertEquals(1, j.recoveryReport().headSeq(), "old records carry the old UUID");
            assertTrue(j.recoveryReport().stopReason().contains("another journal"), j.recoveryReport().stopReason());
        }
    }
}
