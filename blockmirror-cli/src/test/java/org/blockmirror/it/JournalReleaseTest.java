package org.blockmirror.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.blockmirror.cli.LoopbackPair;
import org.blockmirror.cli.WriteWorkload;
import org.blockmirror.heartbeat.ConnectionArray;
import org.blockmirror.heartbeat.LinkState;
import org.blockmirror.journal.Journal;
import org.blockmirror.journal.JournalOptions;
import org.blockmirror.local.AckMode;
import org.blockmirror.local.LocalConfig;
import org.blockmirror.local.Replicator;
import org.blockmirror.local.WritePipeline;
import org.blockmirror.time.MonotonicClock;
import org.blockmirror.volume.FileVolume;
import org.blockmirror.volume.GatedVolume;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The journal is the local unit's redo log as well as the replication queue: after a crash the
 * daemon redoes it from the checkpointed tail onto the local volume. So a record may leave the
 * journal only once the remote has applied it AND the local volume holds it. The remote can be
 * faster than the local volume stage (the replicator sends a record as soon as it is durable in
 * the journal); this test holds the local volume write and lets the remote acknowledge.
 */
class JournalReleaseTest {

    private static final int BLOCK_SIZE = 4096;
    private static final long VOLUME_BYTES = 1L << 20;

    @TempDir
    Path dir;

    @Test
    void aWriteTheRemoteAppliedStaysInTheJournalUntilTheLocalVolumeHasIt() throws Exception {
        MonotonicClock clock = MonotonicClock.system();
        // no heartbeats in this test: a long timeout keeps the remote willing to accept sessions
        LoopbackPair.Options options = LoopbackPair.Options.defaults().withVolumeBytes(VOLUME_BYTES)
                .withHeartbeat(100, 600_000, 1000);
        EventLoopGroup group = new NioEventLoopGroup(1);
        try (LoopbackPair pair = LoopbackPair.prepare(dir, options)) {
            pair.startRemote();
            LocalConfig config = LocalConfig.load(pair.localConfig());
            GatedVolume volume = new GatedVolume(FileVolume.open(pair.localVolume(), BLOCK_SIZE, VOLUME_BYTES,
                    VOLUME_BYTES), GatedVolume.Gate.WRITES);
            Journal journal = Journal.format(dir.resolve("journal"), 16L << 20,
                    JournalOptions.of(BLOCK_SIZE).withLabel("demo"), clock);
            WritePipeline pipeline = new WritePipeline(volume, journal, clock,
                    new WritePipeline.Settings(AckMode.ASYNC, 1000, 1000, 1 << 20, 8L << 20));
            pipeline.start();
            ConnectionArray connections = new ConnectionArray(2, clock);
            Replicator replicator = new Replicator(journal, pipeline,
                    new Replicator.Settings(config.remoteAddress(), 2, 16L << 20, 100, 5000, 16 << 20),
                    new Replicator.Identity(UUID.randomUUID(), "demo", VOLUME_BYTES, BLOCK_SIZE,
                            org.blockmirror.protocol.AckMode.ASYNC),
                    group, new SecureRandom()::nextLong, connections);
            replicator.start();
            connections.onTransition(LinkState.STARTING, LinkState.UP, "no heartbeats in this test");
            replicator.onTransition(LinkState.STARTING, LinkState.UP, "no heartbeats in this test");
            try {
                CompletableFuture<Void> write = pipeline.write(7, WriteWorkload.fill(1, 7, 1, BLOCK_SIZE));
                assertTrue(await(() -> replicator.ackedSeq() >= 1), "the remote never acknowledged seq 1: "
                        + pair.remote().status());
                assertFalse(write.isDone(), "the write completed although the local volume write is held");
                assertEquals(1, journal.tailSeq(), "seq 1 left the journal (its redo log) while the local volume"
                        + " does not have it yet: a crash now would leave the local volume without a write the"
                        + " remote has");

                volume.open();
                write.get(10, TimeUnit.SECONDS);
                assertTrue(await(() -> journal.tailSeq() == 2), "seq 1 was never released once the local volume"
                        + " had it; journal tail is " + journal.tailSeq());
            } finally {
                volume.open();
                replicator.close();
                pipeline.close();
                journal.close();
                volume.close();
            }
        } finally {
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    private static boolean await(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(10);
        }
        return true;
    }
}
