package org.blockmirror.journal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.function.Consumer;
import java.util.zip.CRC32C;
import org.blockmirror.time.FakeClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The format-2 record types COMPACT and PRESERVED: written, read back, recovered, checked; and
 * a version-1 journal (written by an earlier build) is still opened and upgraded. Torn and
 * rotten PRESERVED records in every position are also covered by {@link JournalCrashRecoveryTest},
 * whose random workload appends them.
 */
class JournalCompactRecordsTest {
    private static final int BLOCK = 512;
    private static final long SIZE = Journal.REGION_OFFSET + 64 * 1024;

    @TempDir
    Path dir;

    private final FakeClock clock = new FakeClock();

    private JournalOptions options() {
        return JournalOptions.of(BLOCK).withMaxRecordDataBytes(8 * BLOCK);
    }

    private static byte[] bytes(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (seed * 31 + i);
        }
        return b;
    }

    /** WRITE 1, COMPACT 2, PRESERVED 3 (of 2), TRIM 4 — synced, then closed. */
    private Path journalWithAllTypes() throws IOException {
        Path p = dir.resolve("j");
        try (Journal j = Journal.format(p, SIZE, options(), clock)) {
            assertEquals(1, j.append(RecordType.WRITE, 10, 2, ByteBuffer.wrap(bytes(2 * BLOCK, 1)), 0));
            assertEquals(2, j.append(RecordType.COMPACT, 20, 4, null, 0));
            assertEquals(3, j.appendPreserved(2, 21, 2, ByteBuffer.wrap(bytes(2 * BLOCK, 3)), 0));
            assertEquals(4, j.append(RecordType.TRIM, 30, 1, null, 0));
            j.sync();
        }
        return p;
    }

    private static void assertAllTypes(JournalReader r) throws IOException {
        JournalRecord w = r.next();
        assertEquals(RecordType.WRITE, w.type());
        assertEquals(0, w.preservedSeq());
        JournalRecord c = r.next();
        assertEquals(RecordType.COMPACT, c.type());
        assertEquals(20, c.lba());
        assertEquals(4, c.blockCount());
        assertEquals(0, c.dataLength());
        assertEquals(0, c.data().remaining());
        assertEquals(0, c.preservedSeq());
        JournalRecord p = r.next();
        assertEquals(RecordType.PRESERVED, p.type());
        assertEquals(2, p.preservedSeq(), "the COMPACT record it belongs to");
        assertEquals(21, p.lba());
        assertEquals(2, p.blockCount());
        byte[] got = new byte[p.data().remaining()];
        p.data().get(got);
        assertArrayEquals(bytes(2 * BLOCK, 3), got);
        assertEquals(RecordType.TRIM, r.next().type());
        assertNull(r.next());
    }

    @Test
    void compactAndPreservedRecordsRoundTripAndSurviveReopen() throws Exception {
        Path p = journalWithAllTypes();
        try (Journal j = Journal.open(p, options(), clock)) {
            assertEquals(4, j.recoveryReport().records());
            assertAllTypes(j.reader(1));
            // a reader that supplies its own buffers is asked for one for the PRESERVED data too
            JournalReader r = j.reader(3);
            int[] asked = new int[1];
            JournalRecord rec = r.next(len -> {
                asked[0] = len;
                return ByteBuffer.allocateDirect(len);
            });
            assertEquals(2 * BLOCK, asked[0]);
            assertEquals(RecordType.PRESERVED, rec.type());
        }
    }

    @Test
    void badAppendsAreRefusedWithAClearMessage() throws Exception {
        try (Journal j = Journal.format(dir.resolve("j"), SIZE, options(), clock)) {
            j.append(RecordType.COMPACT, 0, 1, null, 0);
            ByteBuffer block = ByteBuffer.allocate(BLOCK);
            IllegalArgumentException later = assertThrows(IllegalArgumentException.class,
                    () -> j.appendPreserved(2, 0, 1, block, 0));
            assertTrue(later.getMessage().contains("must refer to an earlier seq, not 2 (next seq 2)"), later.getMessage());
            IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
                    () -> j.appendPreserved(0, 0, 1, block, 0));
            assertTrue(none.getMessage().contains("not 0"), none.getMessage());
            IllegalArgumentException viaAppend = assertThrows(IllegalArgumentException.class,
                    () -> j.append(RecordType.PRESERVED, 0, 1, block, 0));
            assertTrue(viaAppend.getMessage().contains("with appendPreserved"), viaAppend.getMessage());
            IllegalArgumentException compactData = assertThrows(IllegalArgumentException.class,
                    () -> j.append(RecordType.COMPACT, 0, 1, block, 0));
            assertTrue(compactData.getMessage().contains("a COMPACT record carries no data"), compactData.getMessage());
            IllegalArgumentException shortData = assertThrows(IllegalArgumentException.class,
                    () -> j.appendPreserved(1, 0, 2, block, 0));
            assertTrue(shortData.getMessage().contains("PRESERVED of 2 blocks of 512 bytes carries 512 bytes"),
                    shortData.getMessage());
            assertEquals(2, j.nextSeq(), "nothing was appended");
        }
    }

    @Test
    void aTornPreservedRecordEndsRecoveryBeforeIt() throws Exception {
        Path p = journalWithAllTypes();
        long preservedAt;
        try (Journal j = Journal.open(p, options(), clock)) {
            preservedAt = j.reader(3).next().fileOffset();
        }
        // the last sector of its data never reached the disk
        rewrite(p, preservedAt + 512 + BLOCK, BLOCK, b -> b.put(0, (byte) (b.get(0) ^ 1)), false);
        try (Journal j = Journal.open(p, options(), clock)) {
            RecoveryReport report = j.recoveryReport();
            assertEquals(3, report.headSeq(), report.toString());
            assertTrue(report.stopReason().contains("seq 3 data CRC32C mismatch"), report.stopReason());
            JournalReader r = j.reader(1);
            assertEquals(RecordType.WRITE, r.next().type());
            assertEquals(RecordType.COMPACT, r.next().type());
            assertNull(r.next(), "the torn PRESERVED record and everything after it are gone");
        }
    }

    @Test
    void aPreservedRecordReferringToItselfOrLaterIsInvalid() throws Exception {
        Path p = journalWithAllTypes();
        long preservedAt;
        try (Journal j = Journal.open(p, options(), clock)) {
            preservedAt = j.reader(3).next().fileOffset();
        }
        // a header with a valid CRC but an impossible reference is not trusted
        rewrite(p, preservedAt, 512, b -> b.putLong(72, 3), true);
        try (Journal j = Journal.open(p, options(), clock)) {
            assertEquals(3, j.recoveryReport().headSeq());
            assertTrue(j.recoveryReport().stopReason().contains("refers to seq 3, which is not an earlier record"),
                    j.recoveryReport().stopReason());
        }
    }

    @Test
    void aCompactRecordWithDataOrAWriteWithAPreservedSeqIsInvalid() throws Exception {
        Path p = journalWithAllTypes();
        long writeAt;
        long compactAt;
        try (Journal j = Journal.open(p, options(), clock)) {
            JournalReader r = j.reader(1);
            writeAt = r.next().fileOffset();
            compactAt = r.next().fileOffset();
        }
        rewrite(p, compactAt, 512, b -> b.putInt(44, 512), true);
        try (Journal j = Journal.open(p, options(), clock)) {
            assertEquals(2, j.recoveryReport().headSeq());
            assertTrue(j.recoveryReport().stopReason().contains("COMPACT record 2 has 4 blocks and 512 data bytes"),
                    j.recoveryReport().stopReason());
        }
        rewrite(p, writeAt, 512, b -> b.putLong(72, 1), true);
        try (Journal j = Journal.open(p, options(), clock)) {
            assertEquals(1, j.recoveryReport().headSeq());
            assertTrue(j.recoveryReport().stopReason().contains("WRITE record 1 carries a preserved seq"),
                    j.recoveryReport().stopReason());
        }
    }

    @Test
    void aVersionOneHeaderCannotCarryTheNewTypes() throws Exception {
        Path p = journalWithAllTypes();
        long compactAt;
        try (Journal j = Journal.open(p, options(), clock)) {
            compactAt = j.reader(2).next().fileOffset();
        }
        rewrite(p, compactAt, 512, b -> b.putShort(4, (short) 1), true);
        try (Journal j = Journal.open(p, options(), clock)) {
            assertEquals(2, j.recoveryReport().headSeq());
            assertTrue(j.recoveryReport().stopReason().contains("a version-1 record header cannot be of type COMPACT"),
                    j.recoveryReport().stopReason());
        }
    }

    /** A journal written by a version-1 build: its superblocks and WRITE/TRIM headers say 1. */
    @Test
    void aVersionOneJournalIsReadAndUpgradedOnOpen() throws Exception {
        Path p = dir.resolve("v1");
        long[] offsets = new long[2];
        try (Journal j = Journal.format(p, SIZE, options(), clock)) {
            j.append(RecordType.WRITE, 5, 1, ByteBuffer.wrap(bytes(BLOCK, 7)), 0);
            j.append(RecordType.TRIM, 6, 1, null, 0);
            j.sync();
            JournalReader r = j.reader(1);
            offsets[0] = r.next().fileOffset();
            offsets[1] = r.next().fileOffset();
        }
        for (long off : offsets) {
            rewrite(p, off, 512, b -> b.putShort(4, (short) 1), true);
        }
        for (int copy = 0; copy < 2; copy++) {
            rewriteSuperblock(p, copy, (short) 1);
        }
        try (Journal j = Journal.open(p, options(), clock)) {
            assertEquals(2, j.recoveryReport().records());
            JournalReader r = j.reader(1);
            byte[] got = new byte[BLOCK];
            r.next().data().get(got);
            assertArrayEquals(bytes(BLOCK, 7), got);
            assertEquals(RecordType.TRIM, r.next().type());
            j.append(RecordType.COMPACT, 9, 1, null, 0);
            j.sync();
        }
        assertEquals(2, superblockVersion(p, 0), "open rewrote both copies as version 2");
        assertEquals(2, superblockVersion(p, 1));
        try (Journal j = Journal.open(p, options(), clock)) {
            assertEquals(3, j.recoveryReport().records());
        }
    }

    // ---- byte surgery ----

    private static void rewrite(Path p, long fileOffset, int length, Consumer<ByteBuffer> change, boolean fixHeaderCrc)
            throws IOException {
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(length);
            ch.read(b, fileOffset);
            change.accept(b);
            if (fixHeaderCrc) {
                b.putInt(508, crc(b, 508));
            }
            ch.write(b.clear(), fileOffset);
        }
    }

    private static void rewriteSuperblock(Path p, int copy, short version) throws IOException {
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(Superblock.SIZE);
            ch.read(b, (long) copy * Superblock.SIZE);
            b.putShort(4, version);
            b.putInt(Superblock.SIZE - 4, crc(b, Superblock.SIZE - 4));
            ch.write(b.clear(), (long) copy * Superblock.SIZE);
        }
    }

    private static int superblockVersion(Path p, int copy) throws IOException {
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate(2);
            ch.read(b, (long) copy * Superblock.SIZE + 4);
            return b.getShort(0);
        }
    }

    private static int crc(ByteBuffer b, int length) {
        CRC32C crc = new CRC32C();
        crc.update(b.duplicate().position(0).limit(length));
        return (int) crc.getValue();
    }
}
