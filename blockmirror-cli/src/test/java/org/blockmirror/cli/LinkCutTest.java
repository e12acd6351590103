package org.blockmirror.cli;

import static org.blockmirror.cli.BackgroundWrites.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.blockmirror.alert.AlertKind;
import org.blockmirror.local.LocalStatus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The heartbeat-driven link handling end to end (SPEC: heartbeat, probation, replay): a pair on
 * loopback under host writes, the link cut longer than the heartbeat timeout and restored.
 * Host writes never stall or fail; replication is torn down, waits out a full uninterrupted
 * probation, replays, and the copies end identical.
 */
class LinkCutTest {

    private static final int CONNECTIONS = 3;
    private static final long INTERVAL_MS = 100;
    private static final long TIMEOUT_MS = 500;
    private static final long PROBATION_MS = 1500;
    private static final Set<String> REPLICATING = Set.of("REPLAYING", "STREAMING");

    @TempDir
    Path dir;

    private LoopbackPair pair;

    private LoopbackPair startPair() throws Exception {
        pair = LoopbackPair.start(dir, LoopbackPair.Options.defaults()
                .withVolumeBytes(16L << 20).withJournalBytes(64L << 20).withConnections(CONNECTIONS)
                .withHeartbeat(INTERVAL_MS, TIMEOUT_MS, PROBATION_MS));
        await("replication is streaming on every connection", 10_000, () -> replicating(status()));
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

    private static boolean replicating(LocalStatus s) {
        return s.replication().connectionsUp() == CONNECTIONS && REPLICATING.contains(s.replication().phase());
    }

    private static long millisSince(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - nanos);
    }

    /** Cuts the link and returns once the local unit has declared it DOWN and closed its connections. */
    private void cutUntilDown() throws InterruptedException {
        long cutAt = System.nanoTime();
        pair.link().cut();
        await("the local unit sees the link DOWN", TIMEOUT_MS + 2_000, () -> status().link().state().equals("DOWN"));
        // silence is counted from the last heartbeat heard, an interval (plus scheduling delays)
        // before the cut: DOWN comes between about timeout - interval and timeout after the cut
        long downAfter = millisSince(cutAt);
        assertTrue(downAfter >= TIMEOUT_MS / 2, "DOWN " + downAfter + " ms after the cut, long before the timeout");
        await("every replication connection is closed", 2_000, () -> status().replication().connectionsUp() == 0);
        // the replicator notices its ended session at its next step (at most ~100 ms later)
        await("the replicator leaves the session", 2_000, () -> !REPLICATING.contains(status().replication().phase()));
    }

    /** Holds the cut for {@code millis}, checking that the status says DOWN with no connection throughout. */
    private void holdCut(long millis) throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (System.nanoTime() < until) {
            LocalStatus s = status();
            assertEquals("DOWN", s.link().state());
            assertEquals(0, s.replication().connectionsUp(), "a connection is up during the cut");
            assertTrue(!REPLICATING.contains(s.replication().phase()), "phase " + s.replication().phase());
            assertTrue(s.alerts().stream().anyMatch(a -> a.kind() == AlertKind.LINK_DOWN), s.alerts().toString());
            Thread.sleep(20);
        }
    }

    /**
     * Watches the status from a restore until replication is back on every connection.
     *
     * @return the states the link went through, in order (consecutive repeats collapsed)
     */
    private List<String> awaitReconnection(long restoredAt, long timeoutMs) throws InterruptedException {
        List<String> states = new ArrayList<>();
        long deadline = restoredAt + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (true) {
            LocalStatus s = status();
            String state = s.link().state();
            if (states.isEmpty() || !states.get(states.size() - 1).equals(state)) {
                states.add(state);
            }
            if (s.replication().connectionsUp() > 0) {
                long after = millisSince(restoredAt);
                assertTrue(after >= PROBATION_MS - 5, "replication reconnected " + after
                        + " ms after the restore, before a full probation of " + PROBATION_MS + " ms; states " + states);
            }
            if (replicating(s)) {
                return states;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("replication did not come back within " + timeoutMs + " ms; states "
                        + states + ", last status " + s);
            }
            Thread.sleep(10);
        }
    }

    @Test
    void hostWritesContinueThroughACutAndReplicationResumesOnlyAfterProbation() throws Exception {
        startPair();
        long sessionsBefore = status().replication().sessionsOpened();
        try (BackgroundWrites writes = new BackgroundWrites(pair.local().device(), 4L << 20, 42)) {
            await("host writes complete", 5_000, () -> writes.acks() > 20);

            cutUntilDown();
            long acksAtDown = writes.acks();
            holdCut(1_000);
            assertEquals("DOWN", pair.remote().status().link().state(), "the remote sees the cut too");
            assertEquals(0, pair.remote().status().connectionsUp(), "the remote closed its side");
            long acksDuringCut = writes.acks() - acksAtDown;
            assertTrue(acksDuringCut > 0, "host writes stalled during the cut");
            assertEquals(0, writes.workload().writesFailed(), "host writes failed: " + writes.workload().firstFailure());
            assertTrue(status().lagRecords() > 0, "writes during the cut are queued in the journal");

            long restoredAt = System.nanoTime();
            pair.link().restore();
            List<String> states = awaitReconnection(restoredAt, 15_000);
            assertEquals(List.of("DOWN", "PROBATION", "UP"), states);
            assertTrue(status().replication().sessionsOpened() > sessionsBefore, "a new session was opened");
        }
        assertTrue(pair.local().awaitDrained(30, TimeUnit.SECONDS), "the remote caught up; " + status());
        assertEquals(0, status().lagRecords());
        assertEquals(0, status().blocks().writesFailed());
        assertEquals(-1, pair.firstDifference(), "remote volume differs from the local one");
    }

    @Test
    void aCutDuringProbationRestartsTheProbation() throws Exception {
        startPair();
        try (BackgroundWrites writes = new BackgroundWrites(pair.local().device(), 2L << 20, 7)) {
            cutUntilDown();
            holdCut(200);
            long firstRestore = System.nanoTime();
            pair.link().restore();
            await("probation starts", 2_000, () -> status().link().state().equals("PROBATION"));

            Thread.sleep(PROBATION_MS / 3);
            assertEquals("PROBATION", status().link().state());
            assertTrue(millisSince(firstRestore) < PROBATION_MS, "the test was too slow to flap inside the probation");
            // flap: a short cut, longer than the tolerated gap between heartbeats
            pair.link().cut();
            long flapUntil = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(INTERVAL_MS * 4);
            while (System.nanoTime() < flapUntil) {
                assertEquals(0, status().replication().connectionsUp());
                Thread.sleep(10);
            }
            long secondRestore = System.nanoTime();
            pair.link().restore();
            // the first probation would have ended PROBATION_MS after the first restore;
            // a restarted one ends PROBATION_MS after the second
            List<String> states = awaitReconnection(secondRestore, 15_000);
            assertEquals("UP", states.get(states.size() - 1));
            assertTrue(states.contains("PROBATION"), states.toString());
            assertEquals(0, writes.workload().writesFailed());
        }
        assertTrue(pair.local().awaitDrained(30, TimeUnit.SECONDS), "the remote caught up; " + status());
        assertEquals(-1, pair.firstDifference(), "remote volume differs from the local one");
    }
}
