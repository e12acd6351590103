package org.blockmirror.cli;

import static org.blockmirror.cli.BackgroundWrites.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.blockmirror.control.ControlClient;
import org.blockmirror.local.LocalStatus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Queue control end to end (SPEC F8): a real pair on loopback driven through
 * {@code blockmirror queue} and {@code blockmirror status}, as an operator would.
 */
class QueueControlTest {

    private static final int BLOCK = 4096;
    private static final int CONNECTIONS = 2;
    /** dirty-map.chunk-bytes default, 64 KiB. */
    private static final int CHUNK_BLOCKS = 16;

    @TempDir
    Path dir;

    private LoopbackPair pair;

    private static CliRun run(String... args) {
        return CliRun.of(args);
    }

    private CliRun queue(String... args) {
        List<String> all = new ArrayList<>(List.of("queue"));
        all.addAll(List.of(args));
        all.addAll(List.of("--config", pair.localConfig().toString()));
        return run(all.toArray(String[]::new));
    }

    private CliRun ok(CliRun r) {
        assertEquals(0, r.exit(), "exit code; stderr: " + r.err());
        return r;
    }

    private JsonNode statusJson() throws IOException {
        CliRun r = ok(run("status", "--config", pair.localConfig().toString(), "--json"));
        return new ObjectMapper().readTree(r.out());
    }

    private LoopbackPair start() throws Exception {
        pair = LoopbackPair.start(dir, LoopbackPair.Options.defaults()
                .withVolumeBytes(16L << 20).withJournalBytes(64L << 20).withConnections(CONNECTIONS)
                .withHeartbeat(100, 1000, 300));
        awaitStreaming();
        return pair;
    }

    private void awaitStreaming() throws InterruptedException {
        await("replication is streaming", 10_000, () -> status().replication().connectionsUp() == CONNECTIONS
                && status().replication().phase().equals("STREAMING"));
    }

    @AfterEach
    void stop() {
        if (pair != null) {
            pair.close();
        }
    }

    private LocalStatus status() {
        return pair.local().status();
    }

    /** {@code count} one-block writes, one per chunk from chunk {@code firstChunk}; waits for the host ACKs. */
    private void hostWrites(int count, int firstChunk, long seed) throws Exception {
        List<CompletableFuture<Void>> acks = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            long lba = (long) (firstChunk + i) * CHUNK_BLOCKS;
            acks.add(pair.local().device().write(lba, WriteWorkload.fill(seed + i, lba, 1, BLOCK)));
        }
        CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get(20, TimeUnit.SECONDS);
    }

    private static byte[] block(Path volume, long lba) throws IOException {
        try (FileChannel ch = FileChannel.open(volume, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate(BLOCK);
            ch.read(b, lba * BLOCK);
            return b.array();
        }
    }

    @Test
    void stopSendHoldsRecordsWithTheSessionUpAcrossARestartAndStartSendDrainsThem() throws Exception {
        start();
        CliRun stopped = ok(queue("stop-send"));
        assertTrue(stopped.out().contains("sending stopped: records are held in the journal"), stopped.out());
        hostWrites(20, 0, 1);
        await("the replicator holds the records", 5_000,
                () -> status().replication().phase().equals("PAUSED_BY_OPERATOR"));
        Thread.sleep(300);
        LocalStatus held = status();
        assertEquals(0, held.blocks().sent(), "blocks were sent while sending was stopped");
        assertEquals(20, held.lagRecords());
        assertEquals(CONNECTIONS, held.replication().connectionsUp(), "the session stays open");
        assertEquals(0, pair.remote().appliedSeq());
        assertTrue(held.buffer().sendingStopped());
        assertEquals("normal", held.buffer().mode());

        // the operator's stop survives a restart of the local unit
        pair.stopLocal();
        pair.startLocal();
        await("the session is back", 10_000, () -> status().replication().connectionsUp() == CONNECTIONS);
        await("the replicator holds the records", 5_000,
                () -> status().replication().phase().equals("PAUSED_BY_OPERATOR"));
        assertTrue(statusJson().path("buffer").path("sendingStopped").asBoolean());
        assertEquals(0, status().blocks().sent());

        long sessions = status().replication().sessionsOpened();
        CliRun started = ok(queue("start-send"));
        assertTrue(started.out().contains("sending restarted: 20 queued records go out"), started.out());
        assertTrue(pair.local().awaitDrained(15, TimeUnit.SECONDS), "nothing drained: " + status());
        assertEquals(20, pair.remote().appliedSeq());
        assertEquals(sessions, status().replication().sessionsOpened(), "start-send needs no new session");
        assertEquals(-1, pair.firstDifference(), "remote volume differs from the local one");
        assertFalse(status().buffer().sendingStopped());
    }

    @Test
    void stopEnqueuePutsHostWritesIntoTheMapWhileTheQueuedRecordsStillGoOut() throws Exception {
        start();
        ok(queue("stop-send"));
        hostWrites(5, 0, 10); // queued: seq 1..5
        CliRun r = ok(queue("stop-enqueue"));
        assertTrue(r.out().contains("enqueueing stopped: host writes mark the dirty map"), r.out());
        assertTrue(r.out().contains("the 5 queued records are still sent"), r.out());
        long next = status().journal().headSeq();
        hostWrites(3, 100, 20); // chunks 100..102, to the map only
        hostWrites(1, 0, 30);   // chunk 0 again: newer than queued seq 1

        LocalStatus s = status();
        assertEquals(next, s.journal().headSeq(), "bitmap-mode writes went into the journal");
        assertEquals("bitmap", s.buffer().mode());
        assertTrue(s.buffer().enqueueingStopped());
        assertEquals(4, s.buffer().dirtyChunks());
        assertEquals(4 * CHUNK_BLOCKS, s.buffer().dirtyBlocks());
        assertEquals(6, s.buffer().bitmapSinceSeq(), "records before seq 6 precede the map's marks");
        assertEquals(0, s.blocks().writesFailed());
        JsonNode json = statusJson().path("buffer");
        assertEquals("bitmap", json.path("mode").asText());
        assertEquals(4, json.path("dirtyChunks").asLong());
        CliRun text = ok(run("status", "--config", pair.localConfig().toString()));
        assertTrue(text.out().lines().anyMatch(l -> l.strip().equals("mode: bitmap")), text.out());

        ok(queue("start-send"));
        await("the queued records are applied", 10_000, () -> pair.remote().appliedSeq() == 5);
        assertArrayEquals(WriteWorkload.fill(10 + 4, 4 * CHUNK_BLOCKS, 1, BLOCK).array(),
                block(pair.remoteVolume(), 4 * CHUNK_BLOCKS), "a queued record did not reach the remote");
        assertArrayEquals(new byte[BLOCK], block(pair.remoteVolume(), 100 * CHUNK_BLOCKS),
                "a bitmap-mode write reached the remote outside remirror");
        assertArrayEquals(WriteWorkload.fill(20, 100 * CHUNK_BLOCKS, 1, BLOCK).array(),
                block(pair.localVolume(), 100 * CHUNK_BLOCKS), "a bitmap-mode write is not on the local volume");

        CliRun restart = ok(queue("start-enqueue"));
        assertTrue(restart.out().contains("host writes go to the journal again once remirror has sent the 4 dirty"
                + " chunks"), restart.out());
        assertFalse(status().buffer().enqueueingStopped());
        assertEquals("bitmap", status().buffer().mode(), "the map must be remirrored before journaling resumes");
    }

    @Test
    void flushTurnsTheOldestRecordsIntoDirtyChunksAndFreesTheJournal() throws Exception {
        start();
        ok(queue("stop-send"));
        hostWrites(10, 0, 1); // seq 1..10, chunks 0..9
        long usedBefore = status().journal().unreleasedBytes();
        CliRun r = ok(queue("flush", "--through-seq", "4"));
        assertTrue(r.out().contains("flushed 4 records through seq 4 into the dirty map (4 chunks newly dirty)"),
                r.out());
        LocalStatus s = status();
        assertEquals(5, s.journal().tailSeq(), "the flushed prefix is released");
        assertEquals(6, s.journal().records());
        assertEquals(4, s.buffer().dirtyChunks());
        assertTrue(s.journal().unreleasedBytes() < usedBefore, "the journal freed no space");
        assertEquals("normal", s.buffer().mode(), "a flush does not stop enqueueing");
        hostWrites(1, 50, 2); // and host writes still go to the journal
        assertEquals(12, status().journal().headSeq());

        // by age: the records written before a pause, not those after it
        Thread.sleep(1_500);
        hostWrites(2, 60, 3); // seq 12, 13
        CliRun aged = ok(queue("flush", "--older-than", "1s"));
        assertTrue(aged.out().contains("flushed 7 records through seq 11"), aged.out());
        assertEquals(12, status().journal().tailSeq());
        assertEquals(4 + 6 + 1, status().buffer().dirtyChunks());
        JsonNode json = new ObjectMapper().readTree(ok(queue("flush", "--before", "2100-01-01T00:00:00Z",
                "--json")).out());
        assertEquals(13, json.path("flushedThroughSeq").asLong());
        assertEquals(2, json.path("flushedRecords").asLong());
        assertEquals(14, status().journal().tailSeq());
        assertEquals(13, status().buffer().dirtyChunks());
    }

    @Test
    void aJournalFullOfHeldRecordsCollapsesIntoTheMapAndNoHostWriteFails() throws Exception {
        start();
        ok(queue("stop-send"));
        int writeBlocks = 64; // 256 KiB: 4 chunks per write
        int perPass = (int) (pair.options().volumeBytes() / BLOCK / writeBlocks);
        int writes = 0;
        long volumeBlocks = pair.options().volumeBytes() / BLOCK;
        // 80 MiB into a 64 MiB journal, in rounds of 16 writes
        for (int round = 0; round < 20; round++) {
            List<CompletableFuture<Void>> acks = new ArrayList<>();
            for (int i = 0; i < 16; i++, writes++) {
                long lba = (long) (writes % perPass) * writeBlocks;
                acks.add(pair.local().device().write(lba, WriteWorkload.fill(writes, lba, writeBlocks, BLOCK)));
            }
            CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get(20, TimeUnit.SECONDS);
        }
        LocalStatus s = status();
        assertEquals(0, s.blocks().writesFailed());
        assertEquals("bitmap", s.buffer().mode());
        assertTrue(s.buffer().reason().startsWith("the journal is full"), s.buffer().reason());
        assertEquals(0, s.journal().records(), "the journal collapsed up to its head");
        assertEquals(volumeBlocks / CHUNK_BLOCKS, s.buffer().dirtyChunks(), "every chunk was written and unsent");
        assertEquals(volumeBlocks, s.buffer().dirtyBlocks());
        for (int w = writes - perPass; w < writes; w++) {
            long lba = (long) (w % perPass) * writeBlocks;
            assertArrayEquals(WriteWorkload.fill(w, lba, 1, BLOCK).array(), block(pair.localVolume(), lba),
                    "the newest write at block " + lba + " is not on the local volume");
        }
    }

    @Test
    void badArgumentsAreRefusedWithClearErrors() throws Exception {
        start();
        CliRun both = queue("flush", "--through-seq", "3", "--older-than", "1m");
        assertEquals(2, both.exit());
        assertTrue(both.err().contains("blockmirror queue: more than one flush range given: give exactly one of"
                + " --through-seq N, --older-than DURATION"), both.err());
        CliRun none = queue("flush");
        assertEquals(2, none.exit());
        assertTrue(none.err().contains("no flush range given"), none.err());
        CliRun badSeq = queue("flush", "--through-seq", "abc");
        assertEquals(2, badSeq.exit());
        assertTrue(badSeq.err().contains("--through-seq abc: not a sequence number"), badSeq.err());
        CliRun badAge = queue("flush", "--older-than", "soon");
        assertTrue(badAge.err().contains("--older-than soon: not a positive duration"), badAge.err());
        CliRun badTime = queue("flush", "--before", "yesterday");
        assertTrue(badTime.err().contains("--before yesterday: not a timestamp"), badTime.err());
        CliRun unknown = queue("pause");
        assertEquals(2, unknown.exit());
        assertTrue(unknown.err().contains("unknown action 'pause': one of stop-enqueue, start-enqueue, stop-send,"
                + " start-send, flush"), unknown.err());
        CliRun misplaced = queue("stop-send", "--through-seq", "3");
        assertTrue(misplaced.err().contains("--through-seq belongs to flush, not to stop-send"), misplaced.err());

        // the control socket checks its requests itself (it can be used without the CLI)
        ControlClient control = new ControlClient(pair.dir().resolve("local.sock"));
        assertEquals("daemon on " + pair.dir().resolve("local.sock") + " answered: queue: which action? one of"
                + " stop-enqueue, start-enqueue, stop-send, start-send, flush",
                assertThrows(IOException.class, () -> control.call("queue")).getMessage());
        assertTrue(assertThrows(IOException.class, () -> control.call("queue stop-send now")).getMessage()
                .endsWith("queue stop-send takes no arguments, got now"));
        assertTrue(assertThrows(IOException.class, () -> control.call("queue flush --through-seq 0")).getMessage()
                .endsWith("--through-seq 0: not a sequence number (a whole number >= 1)"));

        // the daemon's refusals: nothing queued, beyond the head, already acknowledged, nothing old enough
        CliRun empty = queue("flush", "--through-seq", "1");
        assertEquals(1, empty.exit());
        assertTrue(empty.err().contains("nothing to flush: the queue is empty"), empty.err());
        hostWrites(3, 0, 1);
        assertTrue(pair.local().awaitDrained(10, TimeUnit.SECONDS));
        // released once the volume flusher has them too: that follows the remote's ack
        await("seq 1 to 3 are released", 10_000, () -> status().journal().tailSeq() == 4);
        ok(queue("stop-send"));
        hostWrites(3, 10, 2); // seq 4..6
        CliRun beyond = queue("flush", "--through-seq", "99");
        assertEquals(1, beyond.exit());
        assertTrue(beyond.err().contains("seq 99 is beyond the head of the queue: the newest record is seq 6"
                + " (the queue holds seq 4 to 6)"), beyond.err());
        CliRun acked = queue("flush", "--through-seq", "2");
        assertTrue(acked.err().contains("nothing to flush: every record through seq 2 was already acknowledged by"
                + " the remote (the queue holds seq 4 to 6)"), acked.err());
        CliRun young = queue("flush", "--older-than", "1h");
        assertEquals(1, young.exit());
        assertTrue(young.err().contains("nothing to flush: the oldest queued record (seq 4, written "), young.err());
        assertEquals(4, status().journal().tailSeq(), "a refused flush changed the queue");
        assertEquals(0, status().buffer().dirtyChunks());
        for (CliRun r : List.of(both, none, badSeq, badAge, badTime, unknown, misplaced, empty, beyond, acked, young)) {
            assertFalse(r.err().contains("\tat ") || r.err().contains("Exception"), "stack trace:\n" + r.err());
        }
    }
}
