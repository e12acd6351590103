package org.blockmirror.local;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.blockmirror.block.BlockDeviceException;
import org.blockmirror.block.BlockDeviceException.Reason;
import org.blockmirror.block.SubmissionBatch;
import org.blockmirror.journal.Journal;
import org.blockmirror.journal.JournalOptions;
import org.blockmirror.journal.JournalReader;
import org.blockmirror.journal.JournalRecord;
import org.blockmirror.journal.RecordType;
import org.blockmirror.time.FakeClock;
import org.blockmirror.time.MonotonicClock;
import org.blockmirror.volume.FileVolume;
import org.blockmirror.volume.GatedVolume;
import org.blockmirror.volume.Volume;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * The local write path on a real journal and a real volume file, with no remote: what the host
 * sees (completion, errors, reads) and what lands in the journal and on the volume.
 */
class WritePipelineTest {

    private static final int BS = 4096;
    private static final long BLOCKS = 256;
    private static final int MAX_RECORD = 4 * BS;
    /** Two superblock copies precede the record region. */
    private static final long SUPERBLOCKS = 2 * 4096;

    @TempDir
    Path dir;

    private FileVolume volume;
    private Journal journal;
    private WritePipeline pipeline;

    private WritePipeline start(MonotonicClock clock, long journalRegionBytes, AckMode mode, long fullTimeoutMs,
                                long syncTimeoutMs) throws IOException {
        volume = FileVolume.createFile(dir.resolve("local.vol"), BLOCKS * BS, BS);
        return startOver(volume, clock, journalRegionBytes, mode, fullTimeoutMs, syncTimeoutMs);
    }

    private WritePipeline startOver(Volume under, MonotonicClock clock, long journalRegionBytes, AckMode mode,
                                    long fullTimeoutMs, long syncTimeoutMs) throws IOException {
        journal = Journal.format(dir.resolve("journal"), SUPERBLOCKS + journalRegionBytes,
                JournalOptions.of(BS).withMaxRecordDataBytes(MAX_RECORD), clock);
        pipeline = new WritePipeline(under, journal, clock,
                new WritePipeline.Settings(mode, fullTimeoutMs, syncTimeoutMs, MAX_RECORD, 1 << 20));
        pipeline.start();
        return pipeline;
    }

    private WritePipeline startAsync() throws IOException {
        return start(MonotonicClock.system(), 4L << 20, AckMode.ASYNC, 1000, 1000);
    }

    /** {@link #startAsync} over a {@link GatedVolume} of the volume file. */
    private GatedVolume startAsyncGated(GatedVolume.Gate gate) throws IOException {
        volume = FileVolume.createFile(dir.resolve("local.vol"), BLOCKS * BS, BS);
        GatedVolume gated = new GatedVolume(volume, gate);
        startOver(gated, MonotonicClock.system(), 4L << 20, AckMode.ASYNC, 1000, 1000);
        return gated;
    }

    @AfterEach
    void close() throws Exception {
        if (pipeline != null) {
            pipeline.close();
        }
        if (journal != null) {
            journal.close();
        }
        if (volume != null) {
            volume.close();
        }
    }

    private static ByteBuffer data(long seed, int blocks) {
        byte[] b = new byte[blocks * BS];
        new Random(seed).nextBytes(b);
        return ByteBuffer.wrap(b);
    }

    private byte[] onVolume(long lba, int blocks) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(blocks * BS);
        volume.read(lba * BS, buf);
        return buf.array();
    }

    private static <T> T done(CompletableFuture<T> f) throws Exception {
        return f.get(10, TimeUnit.SECONDS);
    }

    private static BlockDeviceException failure(CompletableFuture<?> f) throws Exception {
        ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(10, TimeUnit.SECONDS));
        return assertInstanceOf(BlockDeviceException.class, e.getCause());
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(2);
        }
    }

    private List<JournalRecord> journalRecords(long fromSeq) throws IOException {
        List<JournalRecord> out = new ArrayList<>();
        JournalReader reader = journal.reader(fromSeq);
        for (JournalRecord r = reader.next(); r != null; r = reader.next()) {
            out.add(r);
        }
        return out;
    }

    @Test
    void completedWritesAreInTheJournalAndOnTheVolumeAndReadBack() throws Exception {
        startAsync();
        List<CompletableFuture<Void>> writes = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            writes.add(pipeline.write(i * 3L, data(i, 2))); // overlapping: block 3i+1 is rewritten by nothing
        }
        for (CompletableFuture<Void> w : writes) {
            done(w);
        }
        for (int i = 0; i < 50; i++) {
            assertArrayEquals(data(i, 2).array(), onVolume(i * 3L, 2), "write " + i + " on the volume");
            assertArrayEquals(data(i, 2).array(), done(pipeline.read(i * 3L, 2)).array(), "write " + i + " read back");
        }
        List<JournalRecord> records = journalRecords(journal.tailSeq());
        assertEquals(50, records.size());
        for (int i = 0; i < 50; i++) {
            JournalRecord r = records.get(i);
            assertEquals(RecordType.WRITE, r.type());
            assertEquals(i * 3L, r.lba());
            assertEquals(data(i, 2), r.data(), "journal record " + i);
        }
        assertEquals(100, pipeline.blocksWritten());
        assertEquals(50, pipeline.writesCompleted());
        assertEquals(0, pipeline.writesFailed());
    }

    @Test
    void outOfRangeAndMisalignedRequestsFailWithOutOfRange() throws Exception {
        startAsync();
        BlockDeviceException misaligned = failure(pipeline.write(0, ByteBuffer.allocate(100)));
        assertEquals(Reason.OUT_OF_RANGE, misaligned.reason());
        assertEquals("write of 100 bytes is not a whole number of 4096-byte blocks", misaligned.getMessage());
        BlockDeviceException empty = failure(pipeline.write(0, ByteBuffer.allocate(0)));
        assertEquals(Reason.OUT_OF_RANGE, empty.reason());

        BlockDeviceException beyond = failure(pipeline.write(BLOCKS, data(1, 1)));
        assertEquals(Reason.OUT_OF_RANGE, beyond.reason());
        assertEquals("blocks 256+1 are beyond the device (256 blocks)", beyond.getMessage());
        BlockDeviceException straddling = failure(pipeline.write(BLOCKS - 1, data(1, 2)));
        assertEquals("blocks 255+2 are beyond the device (256 blocks)", straddling.getMessage());
        assertEquals(Reason.OUT_OF_RANGE, failure(pipeline.write(-1, data(1, 1))).reason());
        assertEquals(Reason.OUT_OF_RANGE, failure(pipeline.read(BLOCKS - 1, 2)).reason());
        assertEquals(Reason.OUT_OF_RANGE, failure(pipeline.trim(BLOCKS, 1)).reason());
        assertEquals(Reason.OUT_OF_RANGE, failure(pipeline.trim(0, BLOCKS + 1)).reason());

        // nothing reached the journal, and the last block is still writable
        assertEquals(0, journal.durableSeq());
        done(pipeline.write(BLOCKS - 1, data(2, 1)));
        assertArrayEquals(data(2, 1).array(), onVolume(BLOCKS - 1, 1));
    }

    @Test
    void trimZeroesTheBlocksAndIsJournaled() throws Exception {
        startAsync();
        done(pipeline.write(10, data(7, 8)));
        done(pipeline.trim(12, 3));
        byte[] expected = data(7, 8).array();
        java.util.Arrays.fill(expected, 2 * BS, 5 * BS, (byte) 0);
        assertArrayEquals(expected, onVolume(10, 8));
        assertArrayEquals(expected, done(pipeline.read(10, 8)).array());
        List<JournalRecord> records = journalRecords(journal.tailSeq());
        JournalRecord trim = records.get(records.size() - 1);
        assertEquals(RecordType.TRIM, trim.type());
        assertEquals(12, trim.lba());
        assertEquals(3, trim.blockCount());
    }

    @Test
    void aWriteLargerThanOneRecordIsSplitAndFullyApplied() throws Exception {
        startAsync();
        long before = journal.durableSeq();
        ByteBuffer big = data(99, 10);
        done(pipeline.write(100, big));
        assertArrayEquals(big.array(), onVolume(100, 10));
        List<JournalRecord> records = journalRecords(before + 1);
        assertEquals(3, records.size(), "10 blocks in records of at most 4");
        long lba = 100;
        int offset = 0;
        for (JournalRecord r : records) {
            assertEquals(lba, r.lba());
            assertTrue(r.blockCount() <= 4);
            assertEquals(ByteBuffer.wrap(big.array(), offset, r.blockCount() * BS), r.data());
            lba += r.blockCount();
            offset += r.blockCount() * BS;
        }
        assertEquals(110, lba);
    }

    @Test
    void aFullJournalMakesWritesWaitThenFailUntilSpaceIsReleased() throws Exception {
        long fullTimeoutMs = 400;
        start(MonotonicClock.system(), 64 << 10, AckMode.ASYNC, fullTimeoutMs, 1000);
        int fit = (int) (journal.stats().capacityBytes() / (512 + BS)); // one-block records from an empty journal
        for (int i = 0; i < fit; i++) {
            done(pipeline.write(i, data(i, 1)));
        }
        // the next write waits for space ...
        CompletableFuture<Void> waiting = pipeline.write(200, data(200, 1));
        Thread.sleep(fullTimeoutMs / 4);
        assertFalse(waiting.isDone(), "a write into a full journal must wait for space");
        // ... and goes through as soon as the remote acknowledges (here: a direct release)
        journal.release(journal.durableSeq());
        done(waiting);
        assertArrayEquals(data(200, 1).array(), onVolume(200, 1));

        for (int i = 1; i < fit; i++) {
            done(pipeline.write(i, data(1000 + i, 1)));
        }
        // nobody releases: the write fails after the full-journal timeout, and is not applied
        long start = System.nanoTime();
        BlockDeviceException full = failure(pipeline.write(201, data(201, 1)));
        long waitedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertEquals(Reason.JOURNAL_FULL, full.reason());
        assertTrue(full.getMessage().contains("is full"), full.getMessage());
        assertTrue(waitedMs >= fullTimeoutMs, "failed after " + waitedMs + " ms, before the timeout");
        assertTrue(pipeline.journalFullAlert());
        assertEquals(1, pipeline.writesFailed());
        assertArrayEquals(new byte[BS], onVolume(201, 1), "a failed write reached the volume");
        assertTrue(pipeline.isReady(), "a full journal is not fatal");

        journal.release(journal.durableSeq());
        done(pipeline.write(201, data(202, 1)));
        assertArrayEquals(data(202, 1).array(), onVolume(201, 1));
        assertFalse(pipeline.journalFullAlert(), "the alert clears once there is room again");
    }

    /** Verified mode answers the host exactly like sync mode (its extra exchange is the replicator's). */
    @ParameterizedTest
    @EnumSource(value = AckMode.class, names = {"SYNC", "VERIFIED"})
    void syncModeCompletesOnTheRemoteAckOrAfterTheSyncTimeout(AckMode mode) throws Exception {
        FakeClock clock = new FakeClock();
        long syncTimeoutMs = 1000;
        start(clock, 4L << 20, mode, 1000, syncTimeoutMs);

        CompletableFuture<Void> a = pipeline.write(0, data(1, 1));
        await("A is durable locally", () -> pipeline.blocksWritten() == 1);
        long seqA = journal.durableSeq();
        Thread.sleep(50);
        assertFalse(a.isDone(), "sync mode: a write completes only when the remote has it");
        assertEquals(0, pipeline.expireSyncWaits());
        pipeline.onRemoteAck(seqA);
        assertNull(done(a));

        CompletableFuture<Void> b = pipeline.write(1, data(2, 1));
        CompletableFuture<Void> c = pipeline.write(2, data(3, 1));
        await("B and C are durable locally", () -> pipeline.blocksWritten() == 3);
        // counted as written a moment before they are entered as waiting for the remote
        await("B and C wait for the remote", () -> pipeline.writesAwaitingRemote() == 2);
        assertEquals(seqA + 2, journal.durableSeq());
        pipeline.onRemoteAck(seqA + 1);
        assertNull(done(b));
        assertFalse(c.isDone(), "an ACK covers its seq and the ones before, not later ones");

        // the remote stays silent: C completes once it has waited the sync timeout
        clock.advanceMillis(syncTimeoutMs - 1);
        assertEquals(0, pipeline.expireSyncWaits());
        assertFalse(c.isDone());
        clock.advanceMillis(1);
        assertEquals(1, pipeline.expireSyncWaits());
        assertNull(done(c));

        CompletableFuture<Void> d = pipeline.write(3, data(4, 1));
        await("D is durable locally", () -> pipeline.blocksWritten() == 4);
        await("D waits for the remote", () -> pipeline.writesAwaitingRemote() == 1);
        assertTrue(pipeline.syncDegraded(), "writes wait while the remote is not acknowledging in time");
        pipeline.onRemoteAck(journal.durableSeq());
        assertNull(done(d));
        assertFalse(pipeline.syncDegraded());
        // the remote acknowledges again: a write waiting its normal moment is no longer "degraded"
        CompletableFuture<Void> e = pipeline.write(4, data(5, 1));
        await("E is durable locally", () -> pipeline.blocksWritten() == 5);
        await("E waits for the remote", () -> pipeline.writesAwaitingRemote() == 1);
        assertFalse(pipeline.syncDegraded(), "the alert must clear once the remote acknowledges in time again");
        pipeline.onRemoteAck(journal.durableSeq());
        assertNull(done(e));
        assertEquals(0, pipeline.writesFailed());
        assertArrayEquals(data(4, 1).array(), onVolume(3, 1));
    }

    @Test
    void afterCloseWritesFailAsShuttingDown() throws Exception {
        startAsync();
        done(pipeline.write(0, data(1, 1)));
        pipeline.close();
        BlockDeviceException e = failure(pipeline.write(0, data(2, 1)));
        assertEquals(Reason.SHUTTING_DOWN, e.reason());
        assertFalse(pipeline.isReady());
        assertArrayEquals(data(1, 1).array(), onVolume(0, 1));
        pipeline = null;
    }

    @Test
    void theVolumeIsFlushedLazilyAndTheJournalKeepsRecordsUntilItIs() throws Exception {
        GatedVolume gated = startAsyncGated(GatedVolume.Gate.FLUSHES);
        // host writes complete while no volume flush can finish: the journal makes them durable
        for (int i = 0; i < 20; i++) {
            done(pipeline.write(i, data(i, 1)));
        }
        long last = journal.durableSeq();
        pipeline.onRemoteAck(last);
        assertEquals(1, journal.tailSeq(), "a record the volume has not flushed must stay in the journal");
        assertArrayEquals(data(7, 1).array(), done(pipeline.read(7, 1)).array(), "reads see acknowledged writes");

        gated.open();
        await("the journal is released once the volume is flushed", () -> journal.tailSeq() == last + 1);
        assertTrue(gated.flushes.get() < 20, "one flush per batch is not lazy: " + gated.flushes.get() + " flushes");
    }

    @Test
    void aBatchRunsOnTheSubmittingThreadWhenTheStageIsIdle() throws Exception {
        startAsync();
        done(pipeline.write(200, data(7, 1)));
        await("the stage is idle", () -> !pipeline.stageBusy());
        Thread me = Thread.currentThread();
        List<CompletableFuture<Void>> writes = new ArrayList<>();
        List<Thread> completedOn = java.util.Collections.synchronizedList(new ArrayList<>());
        try (SubmissionBatch batch = pipeline.beginBatch()) {
            for (int i = 0; i < 3; i++) {
                CompletableFuture<Void> w = pipeline.write(10L * i, data(i, 2));
                w.whenComplete((v, e) -> completedOn.add(Thread.currentThread()));
                writes.add(w);
            }
            assertSame(SubmissionBatch.NONE, pipeline.beginBatch(), "one batch at a time");
        }
        for (CompletableFuture<Void> w : writes) {
            assertTrue(w.isDone(), "the idle stage's work ran inside close()");
            done(w);
        }
        assertEquals(List.of(me, me, me), completedOn, "completed on the submitting thread, no hand-off");
        List<JournalRecord> records = journalRecords(journal.tailSeq());
        assertEquals(List.of(200L, 0L, 10L, 20L), records.stream().map(JournalRecord::lba).toList(), "queue order");
        for (int i = 0; i < 3; i++) {
            assertArrayEquals(data(i, 2).array(), onVolume(10L * i, 2));
        }
        // later writes without a batch still go through the journal-stage thread
        CompletableFuture<Void> later = pipeline.write(100, data(9, 1));
        done(later);
        assertArrayEquals(data(9, 1).array(), onVolume(100, 1));
    }

    @Test
    void aBatchClosedWhileTheStageIsBusyIsHandedToTheStageWhole() throws Exception {
        GatedVolume gated = startAsyncGated(GatedVolume.Gate.WRITES);
        CompletableFuture<Void> first = pipeline.write(0, data(0, 1)); // the stage takes it and blocks in the volume write
        assertTrue(gated.entered.await(10, TimeUnit.SECONDS));
        List<CompletableFuture<Void>> batched = new ArrayList<>();
        List<String> completedOn = java.util.Collections.synchronizedList(new ArrayList<>());
        try (SubmissionBatch batch = pipeline.beginBatch()) {
            for (int i = 1; i <= 2; i++) {
                CompletableFuture<Void> w = pipeline.write(i, data(i, 1));
                w.whenComplete((v, e) -> completedOn.add(Thread.currentThread().getName()));
                batched.add(w);
            }
        } // returns at once: the stage is busy
        assertFalse(first.isDone());
        assertFalse(batched.get(0).isDone() || batched.get(1).isDone(), "nothing ran on this thread");
        gated.open();
        // not get(): a thread waiting in get() may run the dependents itself
        await("the batch completed", () -> completedOn.size() == 2);
        assertEquals(List.of("journal-stage", "journal-stage"), completedOn);
        done(first);
        assertEquals(List.of(0L, 1L, 2L), journalRecords(journal.tailSeq()).stream().map(JournalRecord::lba).toList());
        for (int i = 0; i <= 2; i++) {
            assertArrayEquals(data(i, 1).array(), onVolume(i, 1));
        }
    }
}
