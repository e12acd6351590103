package org.blockmirror.local;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.blockmirror.dirtymap.DirtyMap;
import org.blockmirror.journal.Journal;
import org.blockmirror.journal.JournalOptions;
import org.blockmirror.journal.JournalReader;
import org.blockmirror.journal.JournalRecord;
import org.blockmirror.time.MonotonicClock;
import org.blockmirror.volume.FileVolume;
import org.blockmirror.volume.ForwardingVolume;
import org.blockmirror.volume.Volume;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bitmap mode of the write path on a real journal, volume file, dirty map and state file, with
 * no remote (the link is down: nothing is acknowledged unless a test says so).
 */
class BitmapModeTest {

    private static final int BS = 4096;
    private static final long BLOCKS = 256;
    private static final int BLOCKS_PER_CHUNK = 4;
    private static final int MAX_RECORD = 4 * BS;
    private static final long SUPERBLOCKS = 2 * 4096;
    /** Room for about 14 one-block records. */
    private static final long SMALL_REGION = 64 << 10;

    @TempDir
    Path dir;

    private FileVolume file;
    private Volume volume;
    private Journal journal;
    private DirtyMap map;
    private QueueControlState state;
    private WritePipeline pipeline;

    private WritePipeline open(boolean format, AckMode mode) throws IOException {
        if (format) {
            file = FileVolume.createFile(dir.resolve("local.vol"), BLOCKS * BS, BS);
            journal = Journal.format(dir.resolve("journal"), SUPERBLOCKS + SMALL_REGION, options(), MonotonicClock.system());
        } else {
            file = FileVolume.open(dir.resolve("local.vol"), BS, BLOCKS * BS, BLOCKS * BS);
            journal = Journal.open(dir.resolve("journal"), options(), MonotonicClock.system());
        }
        if (volume == null) {
            volume = file;
        }
        state = QueueControlState.open(dir.resolve("state"));
        LocalDaemon.redo(journal, file, LocalDaemon.redoFrom(journal, state, format));
        map = DirtyMap.openOrCreate(dir.resolve("journal.dirtymap"), BS, BLOCKS, BLOCKS_PER_CHUNK);
        pipeline = new WritePipeline(volume, journal, MonotonicClock.system(),
                new WritePipeline.Settings(mode, 0, 60_000, MAX_RECORD, 1 << 20), map, state);
        pipeline.start();
        return pipeline;
    }

    private static JournalOptions options() {
        return JournalOptions.of(BS).withMaxRecordDataBytes(MAX_RECORD);
    }

    private void closeAll() throws Exception {
        if (pipeline != null) {
            pipeline.close();
            pipeline = null;
        }
        for (AutoCloseable c : new AutoCloseable[] {journal, map, state, file}) {
            if (c != null) {
                c.close();
            }
        }
        journal = null;
        map = null;
        state = null;
        file = null;
        volume = null;
    }

    @AfterEach
    void tearDown() throws Exception {
        closeAll();
    }

    private static ByteBuffer data(long seed, int blocks) {
        byte[] b = new byte[blocks * BS];
        new Random(seed).nextBytes(b);
        return ByteBuffer.wrap(b);
    }

    private byte[] onVolume(long lba, int blocks) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(blocks * BS);
        file.read(lba * BS, buf);
        return buf.array();
    }

    private static <T> T done(CompletableFuture<T> f) throws Exception {
        return f.get(10, TimeUnit.SECONDS);
    }

    private static long chunk(long lba) {
        return lba / BLOCKS_PER_CHUNK;
    }

    @Test
    void aFullJournalCollapsesIntoTheMapAndNoHostWriteFails() throws Exception {
        open(true, AckMode.ASYNC);
        // the first two writes reach the remote before the link goes down
        done(pipeline.write(0, data(0, 1)));
        done(pipeline.write(4, data(1, 1)));
        pipeline.onRemoteAck(journal.durableSeq());
        assertEquals(BufferMode.NORMAL, pipeline.mode());

        // one write per chunk from chunk 2 on: far more than the journal holds
        List<CompletableFuture<Void>> writes = new ArrayList<>();
        for (int i = 2; i < 60; i++) {
            writes.add(pipeline.write(i * BLOCKS_PER_CHUNK + 1, data(i, 1)));
        }
        for (CompletableFuture<Void> w : writes) {
            done(w); // none fails
        }
        assertEquals(0, pipeline.writesFailed());
        assertEquals(BufferMode.BITMAP, pipeline.mode());
        assertTrue(pipeline.bitmapReason().startsWith("the journal is full"), pipeline.bitmapReason());
        assertEquals(0, journal.stats().recordCount(), "the journal is released up to its head");
        assertEquals(journal.nextSeq(), journal.tailSeq());
        for (int i = 2; i < 60; i++) {
            assertTrue(map.isDirty(i), "chunk " + i + " (an unacknowledged write) is not in the map");
            assertArrayEquals(data(i, 1).array(), onVolume(i * BLOCKS_PER_CHUNK + 1, 1), "write " + i);
        }
        assertFalse(map.isDirty(0), "an acknowledged write must not be marked");
        assertFalse(map.isDirty(1), "an acknowledged write must not be marked");
        assertEquals(58, map.dirtyChunks());
        assertEquals(journal.nextSeq(), pipeline.bitmapSinceSeq());

        // in bitmap mode writes keep going to the volume only, the journal stays empty
        long next = journal.nextSeq();
        done(pipeline.write(200, data(200, 2)));
        done(pipeline.trim(8, 1));
        assertEquals(next, journal.nextSeq());
        assertTrue(map.isDirty(chunk(200)) && map.isDirty(chunk(201)));
        assertArrayEquals(data(200, 2).array(), onVolume(200, 2));
        assertArrayEquals(new byte[BS], onVolume(8, 1));
    }

    @Test
    void syncModeWritesWaitingForTheRemoteCompleteWhenTheJournalCollapses() throws Exception {
        open(true, AckMode.SYNC);
        List<CompletableFuture<Void>> writes = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            writes.add(pipeline.write(i, data(i, 1)));
        }
        for (CompletableFuture<Void> w : writes) {
            done(w); // well before the 60 s sync timeout: the remote gets them by remirror
        }
        assertEquals(BufferMode.BITMAP, pipeline.mode());
        assertEquals(0, pipeline.writesFailed());
        for (int i = 0; i < 40; i++) {
            assertTrue(map.isDirty(chunk(i)));
        }
    }

    /** The real volume, checking before every write that its chunks are marked in the map file on disk. */
    private final class MarkBeforeWriteVolume extends ForwardingVolume {
        final List<String> violations = new CopyOnWriteArrayList<>();
        volatile boolean check;
        volatile int checked;

        @Override
        protected Volume delegate() {
            return file;
        }

        @Override
        public void write(long offset, ByteBuffer src) throws IOException {
            if (check) {
                long first = offset / BS;
                long last = (offset + src.remaining() - 1) / BS;
                // a second instance reads the file: the mark must be on disk, not only in memory
                try (DirtyMap onDisk = DirtyMap.openOrCreate(dir.resolve("journal.dirtymap"), BS, BLOCKS,
                        BLOCKS_PER_CHUNK)) {
                    for (long c = chunk(first); c <= chunk(last); c++) {
                        if (!onDisk.isDirty(c)) {
                            violations.add("chunk " + c + " written before it was marked on disk");
                        }
                    }
                }
                checked++;
            }
            file.write(offset, src);
        }

        @Override
        public String describe() {
            return "checked " + file.describe();
        }
    }

    @Test
    void inBitmapModeAWriteIsMarkedDurablyBeforeItReachesTheVolume() throws Exception {
        file = FileVolume.createFile(dir.resolve("local.vol"), BLOCKS * BS, BS);
        MarkBeforeWriteVolume checked = new MarkBeforeWriteVolume();
        volume = checked;
        file.close();
        file = null;
        journal = Journal.format(dir.resolve("journal"), SUPERBLOCKS + SMALL_REGION, options(), MonotonicClock.system());
        journal.close();
        open(false, AckMode.ASYNC);
        pipeline.stopEnqueueing();
        assertEquals(BufferMode.BITMAP, pipeline.mode());
        checked.check = true;
        List<CompletableFuture<Void>> writes = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            writes.add(pipeline.write((i * 7L) % (BLOCKS - 2), data(i, 2)));
        }
        writes.add(pipeline.trim(100, 9));
        for (CompletableFuture<Void> w : writes) {
            done(w);
        }
        assertEquals(List.of(), checked.violations);
        assertEquals(31, checked.checked, "every write went to the volume");
        assertEquals(0, journal.durableSeq(), "bitmap-mode writes do not touch the journal");
    }

    @Test
    void aRestartInBitmapModeKeepsTheMapAndDoesNotRedoOlderRecordsOverNewerWrites() throws Exception {
        open(true, AckMode.ASYNC);
        done(pipeline.write(10, data(1, 1))); // queued in the journal, never acknowledged
        pipeline.stopEnqueueing();
        done(pipeline.write(10, data(2, 1))); // newer, in bitmap mode: only the map knows it
        assertEquals(1, journal.stats().recordCount());
        closeAll();

        open(false, AckMode.ASYNC);
        assertEquals(BufferMode.BITMAP, pipeline.mode(), "the restart resumes bitmap mode");
        assertTrue(pipeline.enqueueStopped(), "stop-enqueue survives a restart");
        assertTrue(map.isDirty(chunk(10)));
        assertArrayEquals(data(2, 1).array(), onVolume(10, 1),
                "the start-up redo replayed a record from before bitmap mode over the newer write");
        assertEquals(1, journal.stats().recordCount(), "the queued record is still to be sent");

        // without the operator's stop, a non-empty map alone resumes bitmap mode
        assertFalse(pipeline.startEnqueueing(), "the map is not empty: journaling waits for remirror");
        closeAll();
        open(false, AckMode.ASYNC);
        assertFalse(pipeline.enqueueStopped());
        assertEquals(BufferMode.BITMAP, pipeline.mode());
        assertTrue(pipeline.bitmapReason().contains("dirty map holds 1 chunks"), pipeline.bitmapReason());
    }

    @Test
    void resumeJournalingRefusesWhileTheMapIsNotEmptyOrEnqueueingIsStopped() throws Exception {
        open(true, AckMode.ASYNC);
        done(pipeline.write(0, data(1, 1)));
        pipeline.onRemoteAck(journal.durableSeq());
        pipeline.startFullSync();
        assertEquals(BufferMode.BITMAP, pipeline.mode());
        assertEquals(map.chunkCount(), map.dirtyChunks());
        assertEquals(OptionalLong.empty(), pipeline.resumeJournaling());

        // remirror's part: clear, barrier, (read and send)
        for (long c = map.nextDirtyChunk(0); c >= 0; c = map.nextDirtyChunk(c + 1)) {
            map.clear(c);
        }
        CompletableFuture<Void> hostWrite = pipeline.write(50, data(5, 1));
        pipeline.awaitVolumeWrites();
        assertTrue(hostWrite.isDone(), "the barrier returned before an earlier write was on the volume");
        assertArrayEquals(data(5, 1).array(), onVolume(50, 1));
        assertEquals(OptionalLong.empty(), pipeline.resumeJournaling(), "the host dirtied chunk 12 meanwhile");
        map.clear(chunk(50));

        pipeline.stopEnqueueing();
        assertEquals(OptionalLong.empty(), pipeline.resumeJournaling(), "enqueueing is stopped by the operator");
        assertTrue(pipeline.startEnqueueing(), "the map is empty: journaling resumes at once");
        assertEquals(BufferMode.NORMAL, pipeline.mode());
        long next = journal.nextSeq();
        assertEquals(OptionalLong.of(next), pipeline.resumeJournaling());
        done(pipeline.write(60, data(6, 1)));
        JournalReader reader = journal.reader(next);
        JournalRecord r = reader.next();
        assertEquals(next, r.seq(), "the first write after the switch is the seq resumeJournaling returned");
        assertEquals(60, r.lba());
        assertTrue(map.isEmpty());
    }

    @Test
    void moveToMapMarksTheOldestRecordsAndReleasesThem() throws Exception {
        open(true, AckMode.ASYNC);
        for (int i = 0; i < 6; i++) {
            done(pipeline.write(i * BLOCKS_PER_CHUNK, data(i, 1)));
        }
        long first = journal.tailSeq();
        JournalToMap.Result r = pipeline.moveToMap(first + 2);
        assertEquals(3, r.records());
        assertEquals(3, r.newlyDirtyChunks());
        assertEquals(first + 3, journal.tailSeq());
        assertTrue(map.isDirty(0) && map.isDirty(1) && map.isDirty(2));
        assertFalse(map.isDirty(3), "records after the flushed prefix stay queued, unmarked");
        assertEquals(BufferMode.NORMAL, pipeline.mode(), "a flush does not stop enqueueing");
    }

    @Test
    void aCorruptRecordMovedIntoTheMapMarksTheWholeVolume() throws Exception {
        open(true, AckMode.ASYNC);
        for (int i = 0; i < 3; i++) {
            done(pipeline.write(i * BLOCKS_PER_CHUNK, data(i, 1)));
        }
        JournalRecord second = journal.reader(journal.tailSeq() + 1).next();
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(dir.resolve("journal"),
                java.nio.file.StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[] {0x55, 0x55, 0x55, 0x55}), second.fileOffset() + 512 + 100);
        }
        pipeline.moveToMap(journal.durableSeq());
        assertEquals(map.chunkCount(), map.dirtyChunks(), "an unreadable record's blocks are unknown: all are dirty");
        assertEquals(0, journal.stats().recordCount());
    }

    @Test
    void aQueueControlStateOfAnotherVersionIsRefused() throws Exception {
        try (org.blockmirror.state.DurableStateFile f = org.blockmirror.state.DurableStateFile.open(
                dir.resolve("state").resolve(QueueControlState.FILE_NAME))) {
            f.write(ByteBuffer.allocate(11).putShort((short) 7).array());
        }
        IOException e = org.junit.jupiter.api.Assertions.assertThrows(IOException.class,
                () -> QueueControlState.open(dir.resolve("state")));
        assertEquals(dir.resolve("state").resolve(QueueControlState.FILE_NAME) + ": queue-control state of version 7"
                + " and 11 bytes is not supported (this build reads version 1)", e.getMessage());
    }

    @Test
    void queueControlStateSurvivesReopening() throws Exception {
        try (QueueControlState s = QueueControlState.open(dir.resolve("state"))) {
            assertFalse(s.enqueueStopped() || s.sendStopped());
            s.setSendStopped(true);
            s.setVolumeHoldsThroughSeq(42);
        }
        try (QueueControlState s = QueueControlState.open(dir.resolve("state"))) {
            assertTrue(s.sendStopped());
            assertFalse(s.enqueueStopped());
            assertEquals(42, s.volumeHoldsThroughSeq());
        }
    }
}
