package org.blockmirror.cli;

import static org.blockmirror.cli.BackgroundWrites.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.blockmirror.local.LocalStatus;
import org.blockmirror.protocol.RemoteSyncState;
import org.blockmirror.remote.RemoteStatus;
import org.blockmirror.time.SettableClock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Remirror with real daemons on loopback (SPEC F8): a journal that fills while the link is cut
 * collapses into the dirty map, the host keeps writing, and when the link returns the remote is
 * brought up to date by checksums and is consistent again; a new pair whose volumes are mostly
 * equal is synced by sending only the blocks that differ.
 */
class RemirrorEndToEndTest {

    private static final int BLOCK = 4096;

    @TempDir
    Path dir;
    private LoopbackPair pair;

    @AfterEach
    void stop() {
        if (pair != null) {
            pair.close();
        }
    }

    private static LoopbackPair.Options options() {
        return LoopbackPair.Options.defaults().withVolumeBytes(16L << 20).withJournalBytes(64L << 20)
                .withConnections(2).withHeartbeat(100, 1000, 300);
    }

    private void awaitStreamingAndConsistent() throws InterruptedException {
        await("the remote is consistent and the journal streams", 30_000, () -> {
            LocalStatus s = pair.local().status();
            return s.replication().phase().equals("STREAMING") && s.buffer().mode().equals("normal")
                    && pair.remote().syncState() == RemoteSyncState.CONSISTENT;
        });
    }

    @Test
    void aJournalThatFillsWhileTheLinkIsCutIsRemirroredWhenItReturns() throws Exception {
        pair = LoopbackPair.start(dir, options());
        awaitStreamingAndConsistent(); // the initial sync of the new (all-zero) pair sends nothing

        pair.link().cut();
        await("the link is down", 10_000, () -> pair.local().status().link().state().equals("DOWN"));
        // 80 MiB of writes into a 64 MiB journal: it fills and collapses into the dirty map
        int writeBlocks = 64;
        int perPass = (int) (pair.options().volumeBytes() / BLOCK / writeBlocks);
        int writes = 0;
        for (int round = 0; round < 20; round++) {
            List<CompletableFuture<Void>> acks = new ArrayList<>();
            for (int i = 0; i < 16; i++, writes++) {
                long lba = (long) (writes % perPass) * writeBlocks;
                acks.add(pair.local().device().write(lba, WriteWorkload.fill(writes, lba, writeBlocks, BLOCK)));
            }
            CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        }
        LocalStatus cut = pair.local().status();
        assertEquals(0, cut.blocks().writesFailed(), "the host keeps writing at full speed");
        assertEquals("bitmap", cut.buffer().mode());
        assertTrue(cut.buffer().dirtyChunks() > 0);

        pair.link().restore();
        // and the host goes on writing during the remirror
        Random r = new Random(3);
        List<CompletableFuture<Void>> during = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            long lba = r.nextInt((int) (pair.options().volumeBytes() / BLOCK));
            during.add(pair.local().device().write(lba, WriteWorkload.fill(100_000 + i, lba, 1, BLOCK)));
            Thread.sleep(5);
        }
        CompletableFuture.allOf(during.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        awaitStreamingAndConsistent();
        assertTrue(pair.local().awaitDrained(30, TimeUnit.SECONDS), "drained: " + pair.local().status());
        assertEquals(-1, pair.firstDifference(), "remote volume differs from the local one");

        LocalStatus after = pair.local().status();
        assertEquals(0, after.buffer().dirtyChunks());
        LocalStatus.Remirror remirror = after.buffer().remirror();
        assertEquals("RESYNC", remirror.kind());
        assertEquals(remirror.chunksTotal(), remirror.chunksDone());
        assertTrue(remirror.dataBytesSent() <= pair.options().volumeBytes(), "sent " + remirror.dataBytesSent());
        RemoteStatus remote = pair.remote().status();
        assertEquals("CONSISTENT", remote.remirror().syncState());
        assertTrue(remote.remirror().blocksWritten() > 0);
        await("REMOTE_INCONSISTENT is cleared (polled every 200 ms)", 5_000, () -> pair.remote().status().alerts()
                .stream().noneMatch(a -> a.kind().name().equals("REMOTE_INCONSISTENT")));
    }

    @Test
    void aNewPairWithMostlyEqualVolumesIsSyncedByChecksums() throws Exception {
        pair = LoopbackPair.prepare(dir, options());
        long blocks = pair.options().volumeBytes() / BLOCK;
        byte[] content = new byte[(int) pair.options().volumeBytes()];
        new Random(1).nextBytes(content);
        TreeSet<Long> differing = new TreeSet<>();
        Random r = new Random(2);
        while (differing.size() < blocks / 20) { // 5 % of the blocks
            differing.add((long) r.nextInt((int) blocks));
        }
        try (FileChannel local = FileChannel.open(pair.localVolume(), StandardOpenOption.WRITE);
             FileChannel remote = FileChannel.open(pair.remoteVolume(), StandardOpenOption.WRITE)) {
            local.write(ByteBuffer.wrap(content), 0);
            for (long lba : differing) {
                content[(int) (lba * BLOCK)] ^= 0x5A; // one byte differs in each of these blocks
            }
            remote.write(ByteBuffer.wrap(content), 0);
        }
        pair.startRemote();
        assertEquals(RemoteSyncState.NEVER_SYNCED, pair.remote().syncState());
        pair.startLocal();
        awaitStreamingAndConsistent();
        assertEquals(-1, pair.firstDifference(), "remote volume differs from the local one");

        LocalStatus.Remirror sync = pair.local().status().buffer().remirror();
        assertEquals("INITIAL_SYNC", sync.kind());
        assertEquals(blocks / 16, sync.chunksTotal(), "every chunk compared");
        assertEquals(differing.size(), sync.blocksSent(), "only the differing blocks crossed the link");
        assertTrue(sync.checksumBytes() < pair.options().volumeBytes() / 20, "checksums: " + sync.checksumBytes());

        // and the journal streams from there
        long lba = 7;
        pair.local().device().write(lba, WriteWorkload.fill(1, lba, 1, BLOCK)).get(10, TimeUnit.SECONDS);
        assertTrue(pair.local().awaitDrained(10, TimeUnit.SECONDS));
        assertEquals(-1, pair.firstDifference());
    }

    @Test
    void aSendBlackoutHoldsTheInitialSyncBackUntilItEnds() throws Exception {
        pair = LoopbackPair.prepare(dir, options());
        byte[] content = new byte[1 << 20];
        new Random(4).nextBytes(content);
        try (FileChannel local = FileChannel.open(pair.localVolume(), StandardOpenOption.WRITE)) {
            local.write(ByteBuffer.wrap(content), 3L << 20);
        }
        pair.configureLocal("transport.send-blackout = 08:00-18:00");
        SettableClock timeOfDay = new SettableClock(Instant.parse("2024-06-03T12:00:00Z"), ZoneOffset.UTC);
        pair.startRemote();
        pair.startLocal(timeOfDay);
        await("the remirror waits for the blackout to end", 10_000,
                () -> pair.local().status().replication().phase().equals("PAUSED_BY_SCHEDULE"));
        Thread.sleep(300);
        assertEquals(0, pair.remote().status().remirror().blocksWritten(), "nothing is sent in a blackout");
        assertEquals(null, pair.remote().status().remirror().kind(), "not even REMIRROR_BEGIN arrived");

        timeOfDay.set(Instant.parse("2024-06-03T18:00:00Z"));
        awaitStreamingAndConsistent();
        assertEquals(-1, pair.firstDifference(), "remote volume differs from the local one");
        assertEquals(256, pair.remote().status().remirror().blocksWritten(), "the 1 MiB that differed");
    }
}
