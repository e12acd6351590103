package org.blockmirror.cli;

import static org.blockmirror.cli.BackgroundWrites.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.blockmirror.local.LocalStatus;
import org.blockmirror.time.SettableClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Link scheduling end to end (SPEC F24): a real pair on loopback with a rate limit, and with a
 * send-blackout window read on an injected time of day. Host writes never wait for either: the
 * journal absorbs the difference.
 */
class LinkScheduleTest {

    private static final int BLOCK = 4096;
    private static final int CONNECTIONS = 2;

    @TempDir
    Path dir;

    private LoopbackPair pair;

    private LoopbackPair prepare() throws Exception {
        pair = LoopbackPair.prepare(dir, LoopbackPair.Options.defaults()
                .withVolumeBytes(16L << 20).withJournalBytes(64L << 20).withConnections(CONNECTIONS)
                .withHeartbeat(100, 1000, 300));
        return pair;
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

    /** Writes {@code count} writes of {@code blocks} blocks each, all at once, and waits for the host ACKs. */
    private void hostWrites(int count, int blocks, long firstLba) throws Exception {
        List<CompletableFuture<Void>> acks = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            long lba = firstLba + (long) i * blocks;
            acks.add(pair.local().device().write(lba, WriteWorkload.fill(i + firstLba, lba, blocks, BLOCK)));
        }
        CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get(20, TimeUnit.SECONDS);
    }

    @Test
    void aRateLimitPacesTheBacklogWhileHostWritesCompleteAtOnce() throws Exception {
        long rate = 2L << 20;
        prepare().configureLocal("transport.rate-limit = 2M");
        pair.startRemote();
        pair.startLocal();
        await("replication is streaming", 10_000, () -> status().replication().connectionsUp() == CONNECTIONS
                && status().replication().phase().equals("STREAMING"));
        assertEquals(rate, status().replication().rateLimitBytesPerSecond());

        long bytes = 10L << 20;
        int writeBlocks = 64; // 256 KiB per write (one journal record each)
        long started = System.nanoTime();
        hostWrites((int) (bytes / (writeBlocks * BLOCK)), writeBlocks, 0);
        long writesMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        long lagAfterWrites = status().lagBytes();
        assertTrue(pair.local().awaitDrained(60, TimeUnit.SECONDS), "the backlog never drained: " + status());
        long drainMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);

        // at 2 MiB/s, 10 MiB less one bucket (100 KiB) and one record (256 KiB) take 4.8 s
        assertTrue(drainMillis >= 4_500, "10 MiB drained in " + drainMillis + " ms, faster than 2 MiB/s");
        assertTrue(writesMillis < drainMillis / 2, "host writes took " + writesMillis + " ms of the "
                + drainMillis + " ms drain: the rate limit held the host back");
        assertTrue(lagAfterWrites > 0, "nothing was queued in the journal");
        System.out.printf("rate limit 2 MiB/s: 10 MiB of host writes acknowledged in %d ms, drained in %d ms"
                + " (%.2f MiB/s)%n", writesMillis, drainMillis, 10 * 1000.0 / drainMillis);
        assertEquals(-1, pair.firstDifference(), "remote volume differs from the local one");
    }

    @Test
    void duringABlackoutNothingIsSentButHostWritesCompleteAndTheBacklogDrainsAfterwards() throws Exception {
        SettableClock timeOfDay = new SettableClock(Instant.parse("2024-06-03T12:00:00Z"), ZoneOffset.UTC);
        prepare().configureLocal("transport.send-blackout = 22:00-23:00, 08:00-18:00");
        pair.startRemote();
        pair.startLocal(timeOfDay);
        await("the session is open in spite of the blackout", 10_000,
                () -> status().replication().connectionsUp() == CONNECTIONS);
        assertEquals("blackout", status().replication().schedule());
        assertEquals("2024-06-03T18:00Z", status().replication().sendingResumesAt());
        assertEquals("22:00-23:00,08:00-18:00", status().replication().sendBlackout());

        hostWrites(32, 16, 0); // 2 MiB
        await("the replicator holds the writes back", 5_000,
                () -> status().replication().phase().equals("PAUSED_BY_SCHEDULE"));
        hostWrites(8, 16, 1024); // host writes keep completing while paused
        Thread.sleep(500);
        LocalStatus paused = status();
        assertEquals(0, paused.blocks().sent(), "blocks were sent during the blackout: " + paused);
        assertEquals(0, paused.replication().ackedSeq());
        assertEquals(40, paused.lagRecords());
        assertEquals(CONNECTIONS, paused.replication().connectionsUp(), "the session is kept during the blackout");
        assertEquals("PAUSED_BY_SCHEDULE", paused.replication().phase());
        assertEquals(0, pair.remote().appliedSeq());
        assertEquals(40 * 16, paused.blocks().written());

        timeOfDay.set(Instant.parse("2024-06-03T18:00:00Z"));
        assertTrue(pair.local().awaitDrained(15, TimeUnit.SECONDS), "nothing drained after the blackout: " + status());
        LocalStatus after = status();
        assertEquals("open", after.replication().schedule());
        assertNull(after.replication().sendingResumesAt());
        assertEquals(40 * 16, after.blocks().acked());
        await("the replicator streams again", 5_000, () -> status().replication().phase().equals("STREAMING"));
        assertEquals(-1, pair.firstDifference(), "remote volume differs from the local one");

        // the next window holds back again, without ending the session
        long sessions = after.replication().sessionsOpened();
        timeOfDay.set(Instant.parse("2024-06-03T22:30:00Z"));
        hostWrites(4, 16, 2048);
        await("the replicator holds the writes back", 5_000,
                () -> status().replication().phase().equals("PAUSED_BY_SCHEDULE"));
        assertEquals("2024-06-03T23:00Z", status().replication().sendingResumesAt());
        assertEquals(4, status().lagRecords());
        assertEquals(sessions, status().replication().sessionsOpened());
    }
}
