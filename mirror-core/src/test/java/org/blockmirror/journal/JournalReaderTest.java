package org.blockmirror.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.CompletableFuture;
import org.blockmirror.time.FakeClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JournalReaderTest {
    private static final int BLOCK = 512;

    @TempDir
    Path dir;

    private final FakeClock clock = new FakeClock();

    private JournalOptions options() {
        return JournalOptions.of(BLOCK).withMaxRecordDataBytes(8 * BLOCK);
    }

    private Journal journal() throws Exception {
        return Journal.format(dir.resolve("j"), Journal.REGION_OFFSET + 64 * 1024, options(), clock);
    }

    private static void write(Journal j, int lba) throws Exception {
        ByteBuffer data = ByteBuffer.allocate(2 * BLOCK);
        data.put(0, (byte) lba);
        j.append(RecordType.WRITE, lba, 2, data, 0);
    }

    private static void corrupt(Path p, long offset) throws Exception {
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(1);
            ch.read(b, offset);
            b.put(0, (byte) (b.get(0) ^ 0x10)).rewind();
            ch.write(b, offset);
        }
    }

    @Test
    void dataRotOnDiskIsDetectedAndNamesTheSeq() throws Exception {
        try (Journal j = journal()) {
            for (int i = 1; i <= 3; i++) {
                write(j, i);
            }
            j.sync();
            JournalRecord second = j.reader(2).next();
            corrupt(j.path(), second.fileOffset() + 512 + 700);
            JournalReader r = j.reader(1);
            assertEquals(1, r.next().seq());
            JournalCorruptionException e = assertThrows(JournalCorruptionException.class, r::next);
            assertEquals(2, e.seq());
            assertTrue(e.getMessage().contains("record seq 2") && e.getMessage().contains("data CRC32C"), e.getMessage());
            assertEquals(2, r.nextSeq(), "the reader does not skip the bad record");
        }
    }

    @Test
    void aTrustingReaderSkipsTheDataCheckOnlyForRecordsThisInstanceAppended() throws Exception {
        try (Journal j = journal()) {
            write(j, 1); // seq 1: appended by the first instance
            j.sync();
        }
        try (Journal j = Journal.open(dir.resolve("j"), options(), clock)) {
            write(j, 2); // seq 2: appended by this instance
            j.sync();
            corrupt(j.path(), j.reader(1).next().fileOffset() + 512 + 5);
            corrupt(j.path(), j.reader(2).next().fileOffset() + 512 + 5);

            // a recovered record is always verified
            JournalCorruptionException e = assertThrows(JournalCorruptionException.class,
                    () -> j.reader(1).trustingOwnAppends().next());
            assertEquals(1, e.seq());
            // the default reader verifies this instance's records too
            assertEquals(2, assertThrows(JournalCorruptionException.class, () -> j.reader(2).next()).seq());
            // a trusting reader hands this instance's record over with the header's CRC32C: the
            // consumer (the remote, for the replicator) checks the data against it
            JournalRecord r = j.reader(2).trustingOwnAppends().next();
            assertEquals(2, r.seq());
            java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
            crc.update(r.data().duplicate());
            assertTrue((int) crc.getValue() != r.dataCrc32c(), "the rot is left for the consumer to find");
        }
    }

    @Test
    void dataIsReadIntoTheCallersBufferOnlyForWrites() throws Exception {
        try (Journal j = journal()) {
            write(j, 1);
            j.append(RecordType.TRIM, 9, 4, null, 0);
            write(j, 2);
            j.sync();
            java.util.List<Integer> asked = new java.util.ArrayList<>();
            java.util.List<ByteBuffer> given = new java.util.ArrayList<>();
            java.util.function.IntFunction<ByteBuffer> buffers = length -> {
                asked.add(length);
                // a direct buffer inside a larger one, as a pooled allocator hands them out
                ByteBuffer b = ByteBuffer.allocateDirect(length + 100).position(50).limit(50 + length);
                given.add(b);
                return b;
            };
            JournalReader r = j.reader(1);
            JournalRecord first = r.next(buffers);
            JournalRecord trim = r.next(buffers);
            JournalRecord third = r.next(buffers);
            assertNull(r.next(buffers));
            assertEquals(java.util.List.of(2 * BLOCK, 2 * BLOCK), asked, "asked once per WRITE, never for a TRIM");
            assertSame(given.get(0), first.data());
            assertSame(given.get(1), third.data());
            assertEquals(50, first.data().position(), "positioned at the data");
            assertEquals(2 * BLOCK, first.data().remaining());
            assertEquals((byte) 1, first.data().get(50));
            assertEquals((byte) 2, third.data().get(50));
            assertEquals(2 * BLOCK, first.dataLength());
            assertEquals(512 + 2 * BLOCK, first.diskLength());
            assertEquals(0, trim.dataLength());
            assertEquals(0, trim.data().remaining());
            assertEquals(512, trim.diskLength());
        }
    }

    @Test
    void aWrongSizedBufferFromTheCallerIsRefused() throws Exception {
        try (Journal j = journal()) {
            write(j, 1);
            j.sync();
            JournalReader r = j.reader(1);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> r.next(length -> ByteBuffer.allocateDirect(length + 1)));
            assertEquals("a buffer for 1024 bytes of record data has 1025 bytes remaining", e.getMessage());
            assertEquals(1, r.next().seq(), "the reader did not move");
        }
    }

    @Test
    void dataRotIsDetectedInTheCallersBufferToo() throws Exception {
        try (Journal j = journal()) {
            write(j, 1);
            j.sync();
            corrupt(j.path(), j.reader(1).next().fileOffset() + 512 + 3);
            JournalCorruptionException e = assertThrows(JournalCorruptionException.class,
                    () -> j.reader(1).next(ByteBuffer::allocateDirect));
            assertTrue(e.getMessage().contains("record seq 1") && e.getMessage().contains("data CRC32C"), e.getMessage());
        }
    }

    @Test
    void headerRotOnDiskIsDetected() throws Exception {
        try (Journal j = journal()) {
            write(j, 1);
            j.sync();
            corrupt(j.path(), j.reader(1).next().fileOffset() + 33);
            JournalCorruptionException e = assertThrows(JournalCorruptionException.class, () -> j.reader(1).next());
            assertTrue(e.getMessage().contains("record seq 1") && e.getMessage().contains("header CRC32C"), e.getMessage());
        }
    }

    @Test
    void onlySyncedRecordsAreVisible() throws Exception {
        try (Journal j = journal()) {
            write(j, 1);
            JournalReader r = j.reader(1);
            assertNull(r.next());
            assertEquals(0, j.durableSeq());
            assertEquals(1, j.sync());
            assertNotNull(r.next());
            assertNull(r.next());
        }
    }

    @Test
    void readerOutsideTheJournalIsAClearError() throws Exception {
        try (Journal j = journal()) {
            for (int i = 1; i <= 4; i++) {
                write(j, i);
            }
            j.sync();
            j.release(2);
            JournalException behind = assertThrows(JournalException.class, () -> j.reader(2));
            assertTrue(behind.getMessage().contains("behind the tail"), behind.getMessage());
            JournalException ahead = assertThrows(JournalException.class, () -> j.reader(6));
            assertTrue(ahead.getMessage().contains("durable head is seq 4"), ahead.getMessage());
            assertNull(j.reader(5).next(), "durable head + 1 is a valid, empty position");

            JournalReader slow = j.reader(3);
            j.release(3);
            JournalException released = assertThrows(JournalException.class, slow::next);
            assertTrue(released.getMessage().contains("fell behind"), released.getMessage());
        }
    }

    @Test
    void badAppendsAndReleasesAreRejected() throws Exception {
        try (Journal j = journal()) {
            IllegalArgumentException shortWrite = assertThrows(IllegalArgumentException.class,
                    () -> j.append(RecordType.WRITE, 0, 2, ByteBuffer.allocate(BLOCK), 0));
            assertTrue(shortWrite.getMessage().contains("carries 512 bytes"), shortWrite.getMessage());
            IllegalArgumentException trimData = assertThrows(IllegalArgumentException.class,
                    () -> j.append(RecordType.TRIM, 0, 2, ByteBuffer.allocate(BLOCK), 0));
            assertTrue(trimData.getMessage().contains("carries no data"), trimData.getMessage());
            IllegalArgumentException pad = assertThrows(IllegalArgumentException.class,
                    () -> j.append(RecordType.PAD, 0, 1, null, 0));
            assertTrue(pad.getMessage().contains("cannot append a PAD"), pad.getMessage());
            IllegalArgumentException huge = assertThrows(IllegalArgumentException.class,
                    () -> j.append(RecordType.WRITE, 0, 16, ByteBuffer.allocate(16 * BLOCK), 0));
            assertTrue(huge.getMessage().contains("exceeds the record limit"), huge.getMessage());
            write(j, 1);
            IllegalArgumentException unsynced = assertThrows(IllegalArgumentException.class, () -> j.release(1));
            assertTrue(unsynced.getMessage().contains("durable only up to seq 0"), unsynced.getMessage());
            assertEquals(2, j.nextSeq(), "rejected appends took no seq");
        }
    }

    @Test
    void appendFromASecondThreadDuringACommitIsRefused() throws Exception {
        try (Journal j = journal()) {
            // Hold the committer role by waiting in a full-journal append on another thread.
            while (true) {
                try {
                    write(j, 0);
                    j.sync();
                } catch (JournalFullException e) {
                    break;
                }
            }
            CompletableFuture<Long> waiting = CompletableFuture.supplyAsync(() -> {
                try {
                    return j.append(RecordType.WRITE, 0, 2, ByteBuffer.allocate(2 * BLOCK), Long.MAX_VALUE);
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            Thread.sleep(100);
            IllegalStateException e = assertThrows(IllegalStateException.class, j::sync);
            assertTrue(e.getMessage().contains("one committer thread"), e.getMessage());
            j.release(j.durableSeq());
            assertEquals(j.durableSeq() + 1, waiting.get());
        }
    }

    @Test
    void closedJournalRefusesEverything() throws Exception {
        Journal j = journal();
        write(j, 1);
        JournalReader r = j.reader(1);
        j.close();
        JournalException e = assertThrows(JournalException.class, r::next);
        assertTrue(e.getMessage().contains("is closed"), e.getMessage());
        assertThrows(JournalException.class, () -> write(j, 2));
        j.close();   // idempotent
        try (Journal reopened = Journal.open(j.path(), options(), clock)) {
            assertEquals(2, reopened.recoveryReport().headSeq(), "close synced the buffered record");
        }
    }
}
