package org.blockmirror.cli;

import static org.blockmirror.cli.BackgroundWrites.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.blockmirror.block.BlockDevice;
import org.blockmirror.local.LocalStatus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Compact mode end to end (SPEC F8): a pair on loopback with a small journal and a low
 * high-water mark, so every link cut pushes the local unit into compact mode; random writes
 * keep overwriting a small set of blocks, also while the journal is being replayed (COMPACT
 * records read from the volume while the blocks are being overwritten). At each observation —
 * the link cut, the remote quiet — the remote volume must equal the local one as of some
 * earlier write: the state after some prefix of the submitted writes, replayed from a model.
 * At the end, drained, both volumes are equal.
 */
class CompactModeConsistencyTest {

    private static final int HOT_BLOCKS = 512;
    private static final int IN_FLIGHT = 8;

    @TempDir
    Path dir;

    private LoopbackPair pair;
    /** Every write submitted, in submission (= sequence) order: {id, lba, blocks}. */
    private final List<long[]> submitted = new ArrayList<>();
    private final Semaphore inFlight = new Semaphore(IN_FLIGHT);
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private Random random;
    private long seed;

    @AfterEach
    void stop() {
        if (pair != null) {
            pair.close();
        }
    }

    @Test
    void theRemoteIsAlwaysAnOrderedPrefixAndEndsEqual() throws Exception {
        seed = System.nanoTime();
        System.out.println("CompactModeConsistencyTest seed " + seed);
        random = new Random(seed);
        pair = LoopbackPair.prepare(dir, LoopbackPair.Options.defaults()
                .withVolumeBytes(4L << 20).withJournalBytes(8L << 20).withConnections(3)
                .withHeartbeat(100, 500, 500));
        // records of at most 60 KiB, so a small journal is allowed; compact mode above 5 %; a
        // replay slow enough (about 2 s a round) to be observed half done
        pair.configureLocal("transport.max-frame-bytes = 64K", "journal.high-water-percent = 5",
                "journal.full-timeout-ms = 2000", "transport.rate-limit = 1M");
        pair.startRemote();
        pair.startLocal();
        // a new pair first runs its initial sync (the remote is inconsistent meanwhile)
        await("replication is streaming", 30_000, () -> pair.local().status().replication().connectionsUp() == 3
                && pair.local().status().replication().phase().equals("STREAMING")
                && pair.remote().syncState() == org.blockmirror.protocol.RemoteSyncState.CONSISTENT);

        for (int round = 0; round < 2; round++) {
            writes(80);                                   // link up: normal mode
            pair.link().cut();
            writes(250);                                  // the journal passes 5 %: compact mode
            drainHost();
            assertEquals("compact", status().buffer().mode(), "seed " + seed + ": " + status().journal());
            assertRemoteIsAPrefix("cut, round " + round);
            if (round == 1) {
                // a restart in compact mode: redo, and the index rebuilt from the journal
                pair.stopLocal();
                pair.startLocal();
                writes(50);
                drainHost();
            }
            pair.link().restore();
            await("replication resumes", 10_000, () -> status().replication().connectionsUp() == 3);
            for (int look = 0; look < 2; look++) {
                writes(100);                              // overwrites while COMPACT records are replayed
                pair.link().cut();
                drainHost();
                assertRemoteIsAPrefix("cut during the replay, round " + round + ", look " + look);
                pair.link().restore();
                Thread.sleep(300);
            }
            assertTrue(pair.local().awaitDrained(20, TimeUnit.SECONDS), "seed " + seed + ": not drained: " + status());
        }
        writes(100);
        drainHost();
        assertEquals(null, failure.get(), "seed " + seed);
        assertTrue(pair.local().awaitDrained(20, TimeUnit.SECONDS), "seed " + seed + ": not drained: " + status());
        LocalStatus s = status();
        assertEquals(-1, pair.firstDifference(), "seed " + seed + ": the remote differs from the local volume");
        assertEquals(submitted.size(), assertRemoteIsAPrefix("drained"), "seed " + seed + ": not every write arrived");
        assertTrue(s.journal().compactRecords() > 0, "compact mode never started: " + s.journal());
        assertTrue(s.journal().preservedBlocks() > 0, "no block was ever copied aside: " + s.journal());
        assertEquals(0, pair.remote().status().applyFailures());
        assertEquals(0, s.replication().naks(), s.replication().toString());
        assertEquals(0, s.blocks().writesFailed());
    }

    private LocalStatus status() {
        return pair.local().status();
    }

    /** Submits {@code n} random writes over the hot blocks (one thread: submission order is seq order). */
    private void writes(int n) throws InterruptedException {
        BlockDevice device = pair.local().device();
        int bs = device.blockSize();
        for (int i = 0; i < n; i++) {
            long id = submitted.size() + 1;
            int blocks = 1 + random.nextInt(4);
            long lba = random.nextInt(HOT_BLOCKS - blocks + 1);
            submitted.add(new long[] {id, lba, blocks});
            inFlight.acquire();
            device.write(lba, WriteWorkload.fill(id, lba, blocks, bs)).whenComplete((ok, err) -> {
                if (err != null) {
                    failure.compareAndSet(null, err);
                }
                inFlight.release();
            });
        }
    }

    /** Waits until the host has every answer. */
    private void drainHost() throws InterruptedException {
        assertTrue(inFlight.tryAcquire(IN_FLIGHT, 30, TimeUnit.SECONDS), "host writes did not complete");
        inFlight.release(IN_FLIGHT);
        assertEquals(null, failure.get(), "seed " + seed);
    }

    /**
     * Waits until the remote is quiet, then checks that its volume equals the state after some
     * prefix of the submitted writes.
     *
     * @return the length of the longest such prefix
     */
    private int assertRemoteIsAPrefix(String when) throws Exception {
        long[] last = {-1};
        long[] stableSince = {System.nanoTime()};
        await("the remote is quiet", 10_000, () -> {
            long applied = pair.remote().status().appliedSeq();
            if (applied != last[0]) {
                last[0] = applied;
                stableSince[0] = System.nanoTime();
            }
            return System.nanoTime() - stableSince[0] > TimeUnit.MILLISECONDS.toNanos(300);
        });
        long[] remote = remoteStamps();
        long[] state = new long[HOT_BLOCKS];
        int mismatches = 0;
        for (int b = 0; b < HOT_BLOCKS; b++) {
            mismatches += remote[b] != 0 ? 1 : 0;
        }
        int longest = mismatches == 0 ? 0 : -1;
        for (int k = 0; k < submitted.size(); k++) {
            long[] w = submitted.get(k);
            for (int b = (int) w[1]; b < w[1] + w[2]; b++) {
                mismatches -= state[b] != remote[b] ? 1 : 0;
                state[b] = w[0];
                mismatches += state[b] != remote[b] ? 1 : 0;
            }
            if (mismatches == 0) {
                longest = k + 1;
            }
        }
        assertTrue(longest >= 0, "seed " + seed + ", " + when + ": the remote volume (applied seq " + last[0]
                + ") is not the result of any prefix of the " + submitted.size() + " writes");
        System.out.println(when + ": the remote (applied seq " + last[0] + ") holds the first " + longest + " of "
                + submitted.size() + " writes; " + status().buffer().mode() + " mode, "
                + status().journal().compactRecords() + " compact records, " + status().journal().preservedBlocks()
                + " blocks preserved; " + status().replication());
        return longest;
    }

    /** The id of the write each hot block of the remote volume holds (0: never written). */
    private long[] remoteStamps() throws IOException {
        int bs = pair.options().blockSize();
        long[] ids = new long[HOT_BLOCKS];
        ByteBuffer block = ByteBuffer.allocate(bs);
        try (FileChannel ch = FileChannel.open(pair.remoteVolume(), StandardOpenOption.READ)) {
            for (int b = 0; b < HOT_BLOCKS; b++) {
                block.clear();
                ch.read(block, (long) b * bs);
                long[] stamp = WriteWorkload.stamp(block.flip());
                ids[b] = stamp == null ? 0 : stamp[0];
                if (stamp != null) {
                    assertEquals(b, stamp[1], "seed " + seed + ": block " + b + " holds data written for another block");
                }
            }
        }
        return ids;
    }
}
