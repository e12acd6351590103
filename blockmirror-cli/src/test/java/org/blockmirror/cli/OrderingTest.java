package org.blockmirror.cli;

import static org.blockmirror.cli.BackgroundWrites.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.blockmirror.block.BlockDevice;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Writes spread over n connections whose traffic is delayed independently arrive at the remote
 * out of order; the remote must still apply them in sequence order. A small hot set of blocks
 * is overwritten many times, so applying any two overlapping writes in the wrong order leaves a
 * visible difference.
 */
class OrderingTest {

    private static final int CONNECTIONS = 4;
    private static final int HOT_BLOCKS = 64;
    private static final int WRITES = 3000;

    @TempDir
    Path dir;

    private LoopbackPair pair;

    @AfterEach
    void stop() {
        if (pair != null) {
            pair.close();
        }
    }

    @Test
    void outOfOrderArrivalsOverManyConnectionsApplyInSequenceOrder() throws Exception {
        pair = LoopbackPair.start(dir, LoopbackPair.Options.defaults()
                .withVolumeBytes(4L << 20).withJournalBytes(64L << 20).withConnections(CONNECTIONS)
                .withHeartbeat(200, 2_000, 1_000));
        // (after the initial sync of the new pair, which goes by checksums, not by journal records)
        await("replication is streaming on every connection", 10_000,
                () -> pair.local().status().replication().connectionsUp() == CONNECTIONS
                        && pair.local().status().replication().phase().equals("STREAMING"));
        long sessions = pair.local().status().replication().sessionsOpened();
        Random delays = new Random(11);
        pair.link().delayTcp(() -> delays.nextInt(21));

        // watch the remote's reorder buffer: it holds writes only when they arrive out of order
        AtomicLong mostBuffered = new AtomicLong();
        Thread sampler = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                mostBuffered.accumulateAndGet(pair.remote().status().reorderBufferedBytes(), Math::max);
                try {
                    Thread.sleep(1);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "reorder-sampler");
        sampler.start();

        BlockDevice device = pair.local().device();
        int bs = device.blockSize();
        long[] lastWriter = new long[HOT_BLOCKS];
        Random random = new Random(5);
        Semaphore inFlight = new Semaphore(16);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        // one submitting thread: submission order is journal (sequence) order
        for (long id = 1; id <= WRITES; id++) {
            int blocks = 1 + random.nextInt(4);
            long lba = random.nextInt(HOT_BLOCKS - blocks + 1);
            for (int b = 0; b < blocks; b++) {
                lastWriter[(int) lba + b] = id;
            }
            inFlight.acquire();
            device.write(lba, WriteWorkload.fill(id, lba, blocks, bs)).whenComplete((ok, err) -> {
                if (err != null) {
                    failure.compareAndSet(null, err);
                }
                inFlight.release();
            });
        }
        inFlight.acquire(16);
        assertEquals(null, failure.get());
        assertTrue(pair.local().awaitDrained(30, TimeUnit.SECONDS), "remote did not catch up: " + pair.local().status());
        sampler.interrupt();
        sampler.join();

        assertTrue(mostBuffered.get() > 0, "no write ever arrived out of order: the test did not test anything");
        assertEquals(0, pair.remote().status().applyFailures());
        assertEquals(sessions, pair.local().status().replication().sessionsOpened(),
                "a healthy (only slow) link must not cost a session reset: " + pair.local().status().replication());
        assertEquals(0, pair.local().status().replication().naks());
        assertEquals(-1, pair.firstDifference(), "remote volume differs from the local one");
        // and both hold, for every hot block, the last write submitted to it
        ByteBuffer block = ByteBuffer.allocate(bs);
        try (FileChannel remote = FileChannel.open(pair.remoteVolume(), StandardOpenOption.READ)) {
            for (int lba = 0; lba < HOT_BLOCKS; lba++) {
                block.clear();
                remote.read(block, (long) lba * bs);
                block.flip();
                long[] stamp = WriteWorkload.stamp(block);
                long expected = lastWriter[lba];
                assertArrayEquals(expected == 0 ? null : new long[] {expected, lba}, stamp, "block " + lba);
            }
        }
    }
}
