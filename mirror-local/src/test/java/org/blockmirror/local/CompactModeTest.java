package org.blockmirror.local;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;
import org.blockmirror.journal.Journal;
import org.blockmirror.journal.JournalOptions;
import org.blockmirror.journal.JournalReader;
import org.blockmirror.journal.JournalRecord;
import org.blockmirror.journal.RecordType;
import org.blockmirror.time.MonotonicClock;
import org.blockmirror.volume.FileVolume;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Compact mode and copy-on-overwrite on a real journal and volume, without a remote (nothing is
 * acknowledged, so the journal stays above the high-water mark of 1 % after the first write).
 * What the sender would put on the wire is taken from {@link WritePipeline#sendable}.
 */
class CompactModeTest {

    private static final int BS = 4096;
    private static final long BLOCKS = 256;
    private static final int MAX_RECORD = 4 * BS;
    /** Small enough that one 1-block write passes the 1 % high-water mark. */
    private static final long JOURNAL_BYTES = 2 * 4096 + (256L << 10);

    @TempDir
    Path dir;

    private FileVolume volume;
    private Journal journal;
    private WritePipeline pipeline;

    private void start(boolean format) throws IOException {
        start(format, JOURNAL_BYTES);
    }

    private void start(boolean format, long journalBytes) throws IOException {
        MonotonicClock clock = MonotonicClock.system();
        JournalOptions options = JournalOptions.of(BS).withMaxRecordDataBytes(MAX_RECORD);
        if (format) {
            volume = FileVolume.createFile(dir.resolve("local.vol"), BLOCKS * BS, BS);
            journal = Journal.format(dir.resolve("journal"), journalBytes, options, clock);
        } else {
            volume = FileVolume.open(dir.resolve("local.vol"), BS, BLOCKS * BS);
            journal = Journal.open(dir.resolve("journal"), options, clock);
            new JournalRedo(journal, volume).run();
        }
        pipeline = new WritePipeline(volume, journal, clock,
                new WritePipeline.Settings(AckMode.ASYNC, 1000, 1000, MAX_RECORD, 1 << 20), new CompactPolicy(1));
        pipeline.start();
    }

    private void stop() throws Exception {
        pipeline.close();
        journal.close();
        volume.close();
        pipeline = null;
    }

    @AfterEach
    void close() throws Exception {
        if (pipeline != null) {
            stop();
        }
    }

    private static byte[] data(long seed, int blocks) {
        byte[] b = new byte[blocks * BS];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static byte[] block(byte[] data, int index) {
        return java.util.Arrays.copyOfRange(data, index * BS, (index + 1) * BS);
    }

    private void write(long lba, byte[] data) throws Exception {
        pipeline.write(lba, ByteBuffer.wrap(data)).get(10, TimeUnit.SECONDS);
    }

    private List<JournalRecord> records() throws IOException {
        List<JournalRecord> out = new ArrayList<>();
        JournalReader reader = journal.reader(journal.tailSeq());
        for (JournalRecord r = reader.next(); r != null; r = reader.next()) {
            out.add(r);
        }
        return out;
    }

    private JournalRecord record(long seq) throws IOException {
        return journal.reader(seq).next();
    }

    /** The record as the replicator would send it; checks that its CRC32C matches its data. */
    private JournalRecord sent(JournalRecord r) throws IOException {
        JournalRecord s = pipeline.sendable(r, ByteBuffer::allocate);
        CRC32C crc = new CRC32C();
        crc.update(s.data().duplicate());
        assertEquals((int) crc.getValue(), s.dataCrc32c(), "data CRC32C of seq " + r.seq());
        assertEquals(s.dataLength(), s.data().remaining());
        return s;
    }

    private static byte[] bytes(JournalRecord r) {
        byte[] b = new byte[r.data().remaining()];
        r.data().duplicate().get(b);
        return b;
    }

    private byte[] onVolume(long lba, int blocks) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(blocks * BS);
        volume.read(lba * BS, buf);
        return buf.array();
    }

    @Test
    void aboveTheHighWaterMarkWritesCarryOnlyBlockNumbersAndAreSentWithTheVolumesData() throws Exception {
        start(true);
        assertEquals(BufferMode.NORMAL, pipeline.bufferMode());
        write(0, data(1, 1));
        assertEquals(BufferMode.NORMAL, pipeline.bufferMode(), "the first write found the journal empty");
        write(20, data(2, 3));
        write(40, data(3, 4));
        assertEquals(BufferMode.COMPACT, pipeline.bufferMode());
        assertEquals(2, pipeline.compactRecords());

        List<JournalRecord> rs = records();
        assertEquals(List.of(RecordType.WRITE, RecordType.COMPACT, RecordType.COMPACT),
                rs.stream().map(JournalRecord::type).toList());
        assertEquals(0, rs.get(1).dataLength(), "a COMPACT record has no data in the journal");
        assertArrayEquals(data(2, 3), onVolume(20, 3));
        assertArrayEquals(data(3, 4), pipeline.read(40, 4).get(10, TimeUnit.SECONDS).array());

        JournalRecord s = sent(rs.get(2));
        assertEquals(RecordType.WRITE, s.type());
        assertEquals(40, s.lba());
        assertEquals(4, s.blockCount());
        assertArrayEquals(data(3, 4), bytes(s));
        assertEquals(rs.get(0), sent(rs.get(0)), "a WRITE record goes as it is");
    }

    @Test
    void overwritingAnUnsentCompactBlockCopiesItsContentAsideFirst() throws Exception {
        start(true);
        write(0, data(1, 1));
        byte[] x = data(2, 2);
        write(10, x);                                   // COMPACT, blocks 10 and 11
        long compactSeq = journal.durableSeq();
        byte[] y = data(3, 2);
        write(11, y);                                   // overwrites block 11
        List<JournalRecord> rs = records();
        JournalRecord preserved = rs.get(rs.size() - 2);
        assertEquals(RecordType.PRESERVED, preserved.type(), "the copy precedes the overwrite");
        assertEquals(compactSeq, preserved.preservedSeq());
        assertEquals(11, preserved.lba());
        assertEquals(1, preserved.blockCount());
        assertArrayEquals(block(x, 1), bytes(preserved));
        assertEquals(1, pipeline.preservedBlocks());
        assertArrayEquals(block(y, 0), onVolume(11, 1), "the volume holds the newer write");

        assertArrayEquals(x, bytes(sent(record(compactSeq))), "the COMPACT record is sent with its own data");
        JournalRecord noOp = sent(preserved);
        assertEquals(RecordType.WRITE, noOp.type());
        assertEquals(11, noOp.lba());
        assertEquals(1, noOp.blockCount());
        assertArrayEquals(block(x, 1), bytes(noOp), "the PRESERVED seq rewrites what the block holds at that point");

        // block 11 now belongs to the newer write: overwriting it again preserves for that one only
        long ySeq = journal.durableSeq();
        write(11, data(4, 1));
        JournalRecord again = records().get(records().size() - 2);
        assertEquals(RecordType.PRESERVED, again.type());
        assertEquals(ySeq, again.preservedSeq());
        assertArrayEquals(x, bytes(sent(record(compactSeq))));
        assertArrayEquals(y, bytes(sent(record(ySeq))));
    }

    @Test
    void aTrimOverAnUnsentCompactBlockPreservesItToo() throws Exception {
        start(true);
        write(0, data(1, 1));
        byte[] x = data(2, 3);
        write(50, x);
        long compactSeq = journal.durableSeq();
        pipeline.trim(51, 10).get(10, TimeUnit.SECONDS);
        List<JournalRecord> rs = records();
        assertEquals(RecordType.PRESERVED, rs.get(rs.size() - 2).type());
        assertEquals(RecordType.TRIM, rs.get(rs.size() - 1).type(), "trims stay TRIM records");
        assertEquals(2, rs.get(rs.size() - 2).blockCount());
        assertArrayEquals(new byte[2 * BS], onVolume(51, 2));
        assertArrayEquals(x, bytes(sent(record(compactSeq))));
    }

    @Test
    void acknowledgedCompactRecordsNeedNoCopy() throws Exception {
        start(true);
        write(0, data(1, 1));
        write(10, data(2, 2));
        long compactSeq = journal.durableSeq();
        pipeline.onRemoteAck(compactSeq);
        write(10, data(3, 2));
        assertEquals(0, pipeline.preservedBlocks());
        assertTrue(records().stream().noneMatch(r -> r.type() == RecordType.PRESERVED), records().toString());
    }

    /**
     * Many overlapping writes submitted at once (so COMPACT writes and their overwrites share
     * journal batches): sending every record in order must reproduce each write exactly, and
     * the PRESERVED seqs must change nothing where they are applied.
     */
    @Test
    void sendingInOrderReplaysEveryWriteAndPreservedSeqsChangeNothing() throws Exception {
        start(true, 2 * 4096 + (16L << 20));
        for (int i = 0; i < 12; i++) {
            write(100 + 4 * i, data(i, 4)); // past 1 % of this larger journal
        }
        long seed = System.nanoTime();
        Random rnd = new Random(seed);
        List<byte[]> written = new ArrayList<>();
        List<long[]> extents = new ArrayList<>();
        List<CompletableFuture<Void>> futures = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            int blocks = 1 + rnd.nextInt(4);
            long lba = rnd.nextInt(12 - blocks + 1);
            byte[] d = data(seed + i, blocks);
            written.add(d);
            extents.add(new long[] {lba, blocks});
            futures.add(pipeline.write(lba, ByteBuffer.wrap(d)));
        }
        for (CompletableFuture<Void> f : futures) {
            f.get(10, TimeUnit.SECONDS);
        }
        byte[] remote = new byte[(int) (BLOCKS * BS)];
        int host = -12;
        long compact = 0;
        for (JournalRecord r : records()) {
            if (host < 0) {
                host++;
                byte[] warmUp = bytes(sent(r));
                System.arraycopy(warmUp, 0, remote, (int) r.lba() * BS, warmUp.length);
                continue;
            }
            JournalRecord s = sent(r);
            byte[] before = remote.clone();
            System.arraycopy(bytes(s), 0, remote, (int) s.lba() * BS, s.dataLength());
            if (r.type() == RecordType.PRESERVED) {
                assertArrayEquals(before, remote, "seed " + seed + ": PRESERVED seq " + r.seq() + " changed the copy");
                continue;
            }
            compact += r.type() == RecordType.COMPACT ? 1 : 0;
            assertEquals(extents.get(host)[0], s.lba(), "seed " + seed);
            assertArrayEquals(written.get(host), bytes(s), "seed " + seed + ": write " + host + " (seq " + r.seq()
                    + ", " + r.type() + ") was sent with other data");
            host++;
        }
        assertEquals(300, host);
        assertTrue(compact > 250, "compact records: " + compact);
        assertTrue(pipeline.preservedBlocks() > 0);
        assertArrayEquals(onVolume(0, (int) BLOCKS), remote, "seed " + seed + ": the copies differ at the end");
    }

    @Test
    void aRestartRebuildsTheIndexAndTheRedoNeverRollsACompactWriteBack() throws Exception {
        start(true);
        write(0, data(1, 1));
        byte[] older = data(2, 1);
        write(30, older);                               // COMPACT
        byte[] newer = data(3, 1);
        write(30, newer);                               // COMPACT, after PRESERVED(older)
        long olderSeq = journal.durableSeq() - 2;
        long newerSeq = journal.durableSeq();
        byte[] a = data(4, 2);
        write(60, a);                                   // COMPACT, never overwritten before the restart
        long aSeq = journal.durableSeq();
        stop();

        start(false);
        assertArrayEquals(newer, onVolume(30, 1), "the redo must not bring back an older version");
        assertArrayEquals(a, onVolume(60, 2));
        assertArrayEquals(older, bytes(sent(record(olderSeq))), "its PRESERVED copy is found after the restart");
        assertArrayEquals(newer, bytes(sent(record(newerSeq))));
        write(61, data(5, 1));
        assertTrue(pipeline.preservedBlocks() >= 2, "the rebuilt index knew block 61 still belonged to seq " + aSeq);
        assertArrayEquals(a, bytes(sent(record(aSeq))));
    }

    @Test
    void theRedoOfANormalWriteStopsWhereALaterCompactWriteTookOver() throws Exception {
        start(true);
        byte[] normal = data(1, 4);
        write(100, normal);                              // WRITE (the journal was empty)
        byte[] compact = data(2, 2);
        write(101, compact);                             // COMPACT over its middle
        stop();
        // a crash lost the volume's copy of the first write: only the redo can bring it back
        try (FileVolume v = FileVolume.open(dir.resolve("local.vol"), BS, BLOCKS * BS)) {
            v.write(100L * BS, ByteBuffer.allocate(BS));
            v.write(103L * BS, ByteBuffer.allocate(BS));
            v.flush();
        }
        start(false);
        assertArrayEquals(block(normal, 0), onVolume(100, 1));
        assertArrayEquals(compact, onVolume(101, 2), "not rolled back to the WRITE");
        assertArrayEquals(block(normal, 3), onVolume(103, 1));
    }

    // ---- error paths ----

    @Test
    void aHighWaterMarkOutsideOneToHundredIsRefused() {
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> new CompactPolicy(101));
        assertEquals("compact-mode high-water mark 101% is not in 1..100 (0: never)", e.getMessage());
    }

    @Test
    void aCompactRecordCannotBeSentOnceTheVolumeStageStoppedShortOfIt() throws Exception {
        volume = FileVolume.createFile(dir.resolve("local.vol"), BLOCKS * BS, BS);
        journal = Journal.format(dir.resolve("journal"), JOURNAL_BYTES,
                JournalOptions.of(BS).withMaxRecordDataBytes(MAX_RECORD), MonotonicClock.system());
        pipeline = new WritePipeline(volume, journal, MonotonicClock.system(),
                new WritePipeline.Settings(AckMode.ASYNC, 1000, 1000, MAX_RECORD, 1 << 20), new CompactPolicy(1));
        pipeline.close(); // never started: the volume stage will never write anything
        journal.append(RecordType.COMPACT, 3, 1, null, 0);
        journal.sync();
        IOException e = org.junit.jupiter.api.Assertions.assertThrows(IOException.class,
                () -> pipeline.sendable(record(1), ByteBuffer::allocate));
        assertEquals("the local unit is shutting down (volume stage stopped before seq 1)", e.getMessage());
    }

    @Test
    void aPreservationPointingAtTheWrongRecordIsACorruptionNotData() throws Exception {
        volume = FileVolume.createFile(dir.resolve("local.vol"), BLOCKS * BS, BS);
        journal = Journal.format(dir.resolve("journal"), JOURNAL_BYTES,
                JournalOptions.of(BS).withMaxRecordDataBytes(MAX_RECORD), MonotonicClock.system());
        journal.append(RecordType.COMPACT, 3, 2, null, 0);
        journal.append(RecordType.WRITE, 4, 1, ByteBuffer.wrap(data(1, 1)), 0);
        journal.sync();
        CompactIndex index = new CompactIndex();
        index.appended(RecordType.COMPACT, 1, 3, 2);
        index.preserved(new CompactIndex.Preservation(1, 4, 1, 2)); // seq 2 is a WRITE, not a copy
        CompactSendData send = new CompactSendData(index, journal, volume, seq -> { });
        IOException e = org.junit.jupiter.api.Assertions.assertThrows(IOException.class,
                () -> send.sendable(record(1), ByteBuffer::allocate));
        assertTrue(e.getMessage().endsWith(": record 2 should be the PRESERVED copy of blocks 4+1 of seq 1 but is WRITE"
                + " of blocks 4+1 for seq 0"), e.getMessage());
    }
}
