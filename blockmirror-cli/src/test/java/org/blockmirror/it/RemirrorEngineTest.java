package org.blockmirror.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.blockmirror.alert.AlertEvent;
import org.blockmirror.alert.AlertKind;
import org.blockmirror.cli.RemirrorHarness;
import org.blockmirror.cli.VolumeCompare;
import org.blockmirror.dirtymap.DirtyMap;
import org.blockmirror.local.RemirrorClient;
import org.blockmirror.local.RemirrorSource;
import org.blockmirror.protocol.RemoteSyncState;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The remirror engine end to end on real files and loopback sockets: a real remote daemon, the
 * local {@link RemirrorSource} over the dirty map. Volumes are compared byte for byte at the end.
 */
class RemirrorEngineTest {

    private static final int BS = 4096;
    private static final int BLOCKS_PER_CHUNK = 16;

    @TempDir
    Path dir;
    private RemirrorHarness h;

    @AfterEach
    void close() {
        if (h != null) {
            h.close();
        }
    }

    private static void fillRandom(Path volume, long bytes, long seed) throws IOException {
        Random r = new Random(seed);
        byte[] chunk = new byte[1 << 20];
        try (FileChannel ch = FileChannel.open(volume, StandardOpenOption.WRITE)) {
            for (long pos = 0; pos < bytes; pos += chunk.length) {
                r.nextBytes(chunk);
                ch.write(ByteBuffer.wrap(chunk, 0, (int) Math.min(chunk.length, bytes - pos)), pos);
            }
        }
    }

    private static void writeBlock(Path volume, long lba, long seed) throws IOException {
        byte[] b = new byte[BS];
        new Random(seed).nextBytes(b);
        try (FileChannel ch = FileChannel.open(volume, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(b), lba * BS);
        }
    }

    private void assertVolumesEqual() throws IOException {
        assertEquals(-1, VolumeCompare.firstDifference(h.localVolumePath(), h.remoteVolumePath()),
                "first differing byte");
    }

    @Test
    void equalVolumesCostOnlyChecksums() throws Exception {
        long bytes = 16L << 20;
        h = RemirrorHarness.start(dir, bytes, BS, BLOCKS_PER_CHUNK, "", 1);
        fillRandom(h.localVolumePath(), bytes, 1);
        fillRandom(h.remoteVolumePath(), bytes, 1);
        h.map().markAll();

        RemirrorSource.Result r = h.remirror();

        assertEquals(0, r.blocksSent());
        assertEquals(0, r.chunksDiffering());
        assertEquals(bytes / BS / BLOCKS_PER_CHUNK, r.chunksCompared());
        assertTrue(r.checksumBytes() < bytes / 1000, "checksum traffic " + r.checksumBytes() + " bytes");
        assertEquals(RemoteSyncState.CONSISTENT, r.remoteState(), "a new pair whose volumes are equal is consistent");
        assertEquals(RemoteSyncState.CONSISTENT, h.remote().syncState());
        assertEquals(0, h.remote().appliedSeq(), "the journal stream continues at seq 1");
        assertTrue(h.map().isEmpty());
        assertTrue(h.localEvents().stream().anyMatch(e -> e.kind() == AlertKind.REMIRROR_STARTED));
        AlertEvent finished = h.localEvents().stream().filter(e -> e.kind() == AlertKind.REMIRROR_FINISHED)
                .findFirst().orElseThrow();
        assertTrue(finished.message().contains("0 blocks (0 bytes) sent"), finished.message());
    }

    @Test
    void scatteredDifferencesSendExactlyTheDifferingBlocks() throws Exception {
        long bytes = 16L << 20;
        long blocks = bytes / BS;
        h = RemirrorHarness.start(dir, bytes, BS, BLOCKS_PER_CHUNK, "", 1);
        fillRandom(h.localVolumePath(), bytes, 2);
        fillRandom(h.remoteVolumePath(), bytes, 2);
        Random r = new Random(3);
        TreeSet<Long> changed = new TreeSet<>();
        while (changed.size() < 300) {
            changed.add((long) r.nextInt((int) blocks));
        }
        changed.add(0L);
        changed.add(blocks - 1);
        for (long lba : changed) {
            writeBlock(h.remoteVolumePath(), lba, lba * 31 + 7);
        }
        h.map().markAll();

        RemirrorSource.Result result = h.remirror();

        assertVolumesEqual();
        assertEquals(changed.size(), result.blocksSent());
        assertEquals(changed.size() * (long) BS, result.dataBytesSent());
        long chunks = changed.stream().map(l -> l / BLOCKS_PER_CHUNK).distinct().count();
        assertEquals(chunks, result.chunksDiffering());
        assertEquals(RemoteSyncState.CONSISTENT, h.remote().syncState());
    }

    @Test
    void onlyMarkedChunksAreCompared() throws Exception {
        long bytes = 4L << 20;
        h = RemirrorHarness.start(dir, bytes, BS, BLOCKS_PER_CHUNK, "", 10);
        h.remirror(); // both zero: now consistent, applied seq 9
        ByteBuffer data = ByteBuffer.allocate(3 * BS);
        new Random(4).nextBytes(data.array());
        h.tracking().write(100, data); // a host write in bitmap mode: marks chunk 6 (blocks 96..111)

        RemirrorSource.Result r = h.remirror();

        assertEquals(1, r.chunksCompared());
        assertEquals(3, r.blocksSent());
        assertEquals(9, h.remote().appliedSeq());
        assertVolumesEqual();
    }

    private Path script(String body) throws IOException {
        Path p = dir.resolve("prehook.sh");
        Files.writeString(p, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwx------"));
        return p;
    }

    @Test
    void aSessionBreakingMidRemirrorLosesNothingAndTheNextRemirrorFinishes() throws Exception {
        long bytes = 8L << 20;
        // the hook holds the remote's first write back, so the session can be cut with chunks in flight
        Path hook = script("sleep 2");
        h = RemirrorHarness.start(dir, bytes, BS, BLOCKS_PER_CHUNK, "remirror.pre-hook = " + hook + "\n", 1);
        h.remirror(); // make the (empty) pair consistent: the hook runs only for a consistent copy
        fillRandom(h.localVolumePath(), bytes, 5);
        h.map().markAll();
        long total = h.map().dirtyChunks();

        RemirrorClient client = h.connect();
        CompletableFuture<RemirrorSource.Result> run = CompletableFuture.supplyAsync(() -> {
            try {
                return h.remirror(client);
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (h.source().progress().blocksSent() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        client.close(); // the link breaks
        Exception e = assertThrows(Exception.class, () -> run.get(10, TimeUnit.SECONDS));
        assertTrue(e.getCause().getMessage().contains("remirror interrupted"), e.getCause().getMessage());
        assertEquals(total, h.map().dirtyChunks(), "every chunk that was not settled is marked again");

        h.stopRemote();
        h.startRemote(); // a crash of the remote too, for good measure
        assertEquals(RemoteSyncState.INCONSISTENT, h.remote().syncState(), "the remote wrote part of the remirror");
        RemirrorSource.Result second = h.remirror();
        assertVolumesEqual();
        assertEquals(RemoteSyncState.CONSISTENT, second.remoteState());
    }

    @Test
    void chunksRecordedInFlightByACrashedRunAreComparedAgain() throws Exception {
        long bytes = 1L << 20;
        h = RemirrorHarness.start(dir, bytes, BS, BLOCKS_PER_CHUNK, "", 1);
        h.remirror(); // consistent, in-flight map created and empty
        writeBlock(h.localVolumePath(), 40, 9); // differs, but the dirty map does not say so ...
        try (DirtyMap inflight = DirtyMap.openOrCreate(dir.resolve("dirty-map.inflight"), BS, bytes / BS,
                BLOCKS_PER_CHUNK)) {
            // ... because a crash made the clear durable while chunk 2 was in flight
            inflight.markChunks(new long[] {2});
        }
        h.source().close(); // the source reopens the in-flight map, as after a restart
        RemirrorSource.Result r = h.remirror();
        assertEquals(1, r.chunksCompared());
        assertEquals(1, r.blocksSent());
        assertVolumesEqual();
    }

    @Test
    void aFailingPreHookStopsTheRemirrorWithItsReasonAndKeepsTheMarks() throws Exception {
        long bytes = 1L << 20;
        Path hook = script("echo cannot snapshot; exit 2");
        h = RemirrorHarness.start(dir, bytes, BS, BLOCKS_PER_CHUNK, "remirror.pre-hook = " + hook + "\n", 1);
        h.remirror(); // all zeros: consistent without writing, so without the hook
        writeBlock(h.localVolumePath(), 3, 1);
        h.map().mark(3, 1);

        IOException e = assertThrows(IOException.class, () -> h.remirror());
        assertEquals("the remote refused remirror data for blocks 0+16 (HOOK_FAILED): remirror refused: "
                + "remirror.pre-hook " + hook + " failed with exit status 2; output: cannot snapshot; nothing was "
                + "written, the copy is still consistent", e.getMessage());
        assertEquals(1, h.map().dirtyChunks());
        assertEquals(RemoteSyncState.CONSISTENT, h.remote().syncState());
        assertTrue(VolumeCompare.firstDifference(h.localVolumePath(), h.remoteVolumePath()) >= 0, "nothing written");
    }

    @Test
    void hostWritesDuringTheRemirrorAreSentByALaterPass() throws Exception {
        long bytes = 8L << 20;
        Path hook = script("sleep 1");
        h = RemirrorHarness.start(dir, bytes, BS, BLOCKS_PER_CHUNK, "remirror.pre-hook = " + hook + "\n", 1);
        h.remirror();
        fillRandom(h.localVolumePath(), bytes, 6);
        h.map().markAll();
        CompletableFuture<RemirrorSource.Result> run = CompletableFuture.supplyAsync(() -> {
            try {
                return h.remirror();
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        // while the first data waits for the hook, the host rewrites blocks already read
        while (h.source().progress().chunksDiffering() == 0) {
            Thread.sleep(5);
        }
        Random r = new Random(7);
        for (int i = 0; i < 200; i++) {
            ByteBuffer b = ByteBuffer.allocate(BS);
            r.nextBytes(b.array());
            h.tracking().write(r.nextInt((int) (bytes / BS)), b);
        }
        RemirrorSource.Result result = run.get(60, TimeUnit.SECONDS);
        assertVolumesEqual();
        assertTrue(h.source().progress().passes() >= 1);
        assertEquals(RemoteSyncState.CONSISTENT, result.remoteState());
    }

    @Test
    void chunksOfMoreThan65536BlocksAreComparedInSeveralBlockSumFrames() throws Exception {
        int bs = 512;
        long bytes = 64L << 20; // one chunk of 131072 blocks
        h = RemirrorHarness.start(dir, bytes, bs, 131072, "", 1);
        long[] lbas = {5, 65535, 65536, 131071};
        try (FileChannel ch = FileChannel.open(h.localVolumePath(), StandardOpenOption.WRITE)) {
            for (long lba : lbas) {
                ch.write(ByteBuffer.wrap(new byte[] {1, 2, 3}), lba * bs);
            }
        }
        h.map().markAll();
        RemirrorSource.Result r = h.remirror();
        assertEquals(lbas.length, r.blocksSent());
        assertVolumesEqual();
    }
}
