package org.blockmirror.unit;

import static org.blockmirror.unit.RoleReversalTest.assertNotReady;
import static org.blockmirror.unit.UnitPair.BLOCK;
import static org.blockmirror.unit.UnitPair.await;
import static org.blockmirror.unit.UnitPair.drained;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.blockmirror.alert.AlertKind;
import org.blockmirror.cli.BlockmirrorCommand;
import org.blockmirror.control.ControlClient;
import org.blockmirror.protocol.RemoteSyncState;
import org.blockmirror.role.GenerationState.Flag;
import org.blockmirror.role.HandshakeDecision;
import org.blockmirror.role.Role;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Disaster recovery and its dangers (SPEC F9, F11, F12) with real units: `promote --force` while
 * the old primary is cut off, then the old primary's return — a split brain when both wrote (no
 * data moves, both alert, the administrator's command decides), a fenced stale primary when only
 * the new one wrote (write policing: it refuses host writes).
 */
class SplitBrainTest {

    @TempDir
    Path dir;
    private UnitPair pair;

    @AfterEach
    void stop() {
        if (pair != null) {
            pair.close();
        }
    }

    private static void write(UnitDaemon u, long lba, byte fill) throws Exception {
        byte[] data = new byte[BLOCK];
        Arrays.fill(data, fill);
        u.device().write(lba, ByteBuffer.wrap(data)).get(10, TimeUnit.SECONDS);
    }


    private static void awaitMirrored(UnitDaemon primary) throws InterruptedException {
        await("mirrored", 10_000, () -> drained(primary));
    }

    private static byte[] block(Path volume, long lba) throws Exception {
        return Arrays.copyOfRange(Files.readAllBytes(volume), (int) lba * BLOCK, (int) (lba + 1) * BLOCK);
    }

    /** Cuts the link, waits until both units noticed, promotes B with --force. */
    private void cutAndPromoteB() throws Exception {
        pair.link.cut();
        await("A lost its session", 10_000, () -> !drained(pair.a));
        Thread.sleep(1200); // past the heartbeat timeout
        pair.b.promoteForce();
        assertEquals(Role.PRIMARY, pair.b.roleState().role());
        assertTrue(pair.b.device().isReady(), "the standby disk became ready without a re-scan");
    }

    @Test
    void bothWroteWhileCutOffIsASplitBrainThatWaitsForTheAdministrator() throws Exception {
        pair = UnitPair.startStreaming(dir);
        write(pair.a, 1, (byte) 1);
        awaitMirrored(pair.a);

        cutAndPromoteB();
        write(pair.a, 2, (byte) 0xA); // the old primary still writes: it cannot know
        write(pair.b, 3, (byte) 0xB);
        assertTrue(pair.a.roleState().hasChangesSinceAgreement());
        assertTrue(pair.b.roleState().hasChangesSinceAgreement());
        assertEquals(pair.a.roleState().agreed(), pair.b.roleState().agreed());
        byte[] volA = Files.readAllBytes(pair.volA());
        byte[] volB = Files.readAllBytes(pair.volB());

        pair.link.restore();
        await("both detect the split brain", 15_000, () -> pair.a.alerts().isActive(AlertKind.SPLIT_BRAIN)
                && pair.b.alerts().isActive(AlertKind.SPLIT_BRAIN));
        assertEquals(HandshakeDecision.Kind.SPLIT_BRAIN, pair.a.lastDecision().kind());
        assertEquals(HandshakeDecision.Kind.SPLIT_BRAIN, pair.b.lastDecision().kind());
        Thread.sleep(500); // several retries: still nothing moves
        assertArrayEquals(volA, Files.readAllBytes(pair.volA()), "A's volume unchanged");
        assertArrayEquals(volB, Files.readAllBytes(pair.volB()), "B's volume unchanged");
        assertTrue(pair.a.device().isReady() && pair.b.device().isReady(), "neither is fenced: neither is newer");

        // status through the CLI shows it
        String shown = run("status", "--config", pair.confA.toString());
        assertTrue(shown.contains("SPLIT_BRAIN"), shown);

        // the administrator keeps B's data: A is demoted and marked to be overwritten. B's sending is
        // held (queue stop-send on its primary half), so the state before the first block can be seen.
        queue(pair.b, "stop-send");
        String resolved = run("role", "resolve", "--keep-peer", "--config", pair.confA.toString());
        assertTrue(resolved.contains("role: SECONDARY"), resolved);
        assertTrue(resolved.contains("DISCARD_LOCAL"), resolved);
        assertFalse(pair.a.device().isReady());
        await("the next handshake follows the choice", 15_000, () -> pair.b.lastDecision() != null
                && pair.b.lastDecision().kind() == HandshakeDecision.Kind.RESYNC_LOCAL_TO_PEER);
        assertEquals(HandshakeDecision.Kind.RESYNC_PEER_TO_LOCAL, pair.a.lastDecision().kind());
        assertResyncTargetBeforeTheCopy(pair.a, pair.confA);
        assertEquals((byte) 0xA, block(pair.volA(), 2)[0], "nothing is copied before the remirror starts");

        queue(pair.b, "start-send");
        await("A completes the resync", 15_000, () -> !pair.a.roleState().has(Flag.INCONSISTENT));
        await("B streams to A", 15_000, () -> drained(pair.b));
        assertEquals(pair.b.roleState().current(), pair.a.roleState().current());
        assertTrue(pair.a.roleState().flags().isEmpty(), pair.a.roleState().toString());
        assertEquals(RemoteSyncState.CONSISTENT, pair.a.secondaryHalf().syncState());
        assertFalse(pair.a.alerts().isActive(AlertKind.SPLIT_BRAIN) || pair.b.alerts().isActive(AlertKind.SPLIT_BRAIN)
                || pair.b.alerts().isActive(AlertKind.ROLE_CONFLICT));
        // exactly the blocks either side changed since they diverged: A's block 2, B's block 3
        assertEquals(2, remirrorBlocksSent(pair.b));
        assertTrue(pair.b.roleState().agreed().isNone(), "B is in sync with A: " + pair.b.roleState());
        write(pair.b, 4, (byte) 0xC);
        awaitMirrored(pair.b);
        pair.close();
        assertTrue(pair.volumesEqual());
        assertEquals((byte) 0xB, block(pair.volA(), 3)[0]);
        assertEquals(0, block(pair.volA(), 2)[0], "A's discarded write is gone, by the administrator's choice");
        pair = null;
    }

    /**
     * SPEC F11: B was promoted while A was unreachable and written to; A (which wrote too) is kept
     * authoritative. Exactly the blocks B changed plus those A changed meanwhile are copied from A.
     */
    @Test
    void nonAuthoritativeSecondaryIsResyncedWithExactlyTheChangedBlocks() throws Exception {
        pair = UnitPair.startStreaming(dir);
        for (int lba = 1; lba <= 5; lba++) {
            write(pair.a, lba, (byte) lba);
        }
        awaitMirrored(pair.a);

        cutAndPromoteB();
        long[] changedOnB = {1, 5, 10, 11, 12, 13};
        long[] changedOnA = {5, 20};
        for (long lba : changedOnB) {
            write(pair.b, lba, (byte) 0xB0);
        }
        for (long lba : changedOnA) {
            write(pair.a, lba, (byte) 0xA0);
        }
        long union = java.util.stream.LongStream.concat(Arrays.stream(changedOnB), Arrays.stream(changedOnA))
                .distinct().count();
        assertEquals(7, union);
        pair.link.restore();
        await("split brain", 15_000, () -> pair.a.alerts().isActive(AlertKind.SPLIT_BRAIN)
                && pair.b.alerts().isActive(AlertKind.SPLIT_BRAIN));

        // the administrator keeps A, the original primary: B gives up its data and is demoted
        queue(pair.a, "stop-send");
        pair.b.resolve(org.blockmirror.role.Resolution.KEEP_PEER);
        assertEquals(Role.SECONDARY, pair.b.roleState().role());
        await("A's next handshake makes B a resync target", 15_000, () -> pair.a.lastDecision() != null
                && pair.a.lastDecision().kind() == HandshakeDecision.Kind.RESYNC_LOCAL_TO_PEER);
        assertResyncTargetBeforeTheCopy(pair.b, pair.confB);
        assertEquals((byte) 0xB0, block(pair.volB(), 10)[0], "nothing is copied before the remirror starts");
        assertTrue(pair.a.device().isReady(), "A keeps serving its host during the resync");

        queue(pair.a, "start-send");
        await("B completes the resync", 15_000, () -> !pair.b.roleState().has(Flag.INCONSISTENT));
        await("A streams to B", 15_000, () -> drained(pair.a));
        assertEquals(union, remirrorBlocksSent(pair.a), "exactly the blocks either unit changed are copied");
        assertEquals(pair.a.roleState().current(), pair.b.roleState().current());
        assertEquals(RemoteSyncState.CONSISTENT, pair.b.secondaryHalf().syncState());
        pair.close();
        assertTrue(pair.volumesEqual());
        assertEquals(0, block(pair.volB(), 10)[0], "B's own change is overwritten");
        assertEquals((byte) 0xA0, block(pair.volB(), 20)[0]);
        assertEquals((byte) 0xA0, block(pair.volB(), 5)[0]);
        assertEquals(1, block(pair.volB(), 1)[0]);
        pair = null;
    }

    /**
     * SPEC F11 without a split brain: A stayed idle while cut off (so it is fenced when it returns),
     * B was promoted and written to. The administrator keeps A: exactly B's changed blocks are copied back.
     */
    @Test
    void fencedOriginalPrimaryKeptAuthoritativeCopiesBackOnlyTheSecondarysChanges() throws Exception {
        pair = UnitPair.startStreaming(dir);
        write(pair.a, 7, (byte) 7);
        awaitMirrored(pair.a);

        cutAndPromoteB();
        long[] changedOnB = {7, 100, 101, 1500};
        for (long lba : changedOnB) {
            write(pair.b, lba, (byte) 0xB1);
        }
        pair.link.restore();
        await("A is fenced", 15_000, () -> pair.a.roleState().has(Flag.FENCED));

        pair.b.resolve(org.blockmirror.role.Resolution.KEEP_PEER);
        await("B completes the resync", 20_000, () -> pair.b.roleState().flags().isEmpty()
                && pair.a.roleState().current().equals(pair.b.roleState().current()));
        await("A streams to B", 15_000, () -> drained(pair.a));
        assertFalse(pair.a.roleState().has(Flag.FENCED));
        assertTrue(pair.a.device().isReady(), "A holds the write token again");
        assertEquals(changedOnB.length, remirrorBlocksSent(pair.a));
        write(pair.a, 8, (byte) 8);
        awaitMirrored(pair.a);
        pair.close();
        assertTrue(pair.volumesEqual());
        assertEquals(7, block(pair.volB(), 7)[0]);
        assertEquals(0, block(pair.volB(), 1500)[0]);
        pair = null;
    }

    /**
     * The stale primary changed nothing, but the new primary's journal no longer holds what it lacks
     * (the operator flushed the queue into the dirty map): no replay is possible, a remirror copies it.
     */
    @Test
    void aJournalThatNoLongerReachesBackIsReplacedByARemirror() throws Exception {
        pair = UnitPair.startStreaming(dir);
        write(pair.a, 7, (byte) 7);
        awaitMirrored(pair.a);
        cutAndPromoteB(); // A stays idle
        long[] changedOnB = {100, 101, 102};
        for (long lba : changedOnB) {
            write(pair.b, lba, (byte) 0xB2);
        }
        long head = pair.b.primaryHalf().status().journal().durableSeq();
        new ControlClient(pair.b.config().stateDir().resolve("primary-half.sock")).call("queue flush --through-seq " + head);
        assertTrue(pair.b.primaryHalf().status().journal().tailSeq() > head, "B's journal released its records");
        pair.link.restore();
        await("A is fenced", 15_000, () -> pair.a.roleState().has(Flag.FENCED));

        pair.a.demote(false);
        await("A completes the resync", 20_000, () -> pair.a.roleState().current().equals(pair.b.roleState().current())
                && pair.a.roleState().flags().isEmpty());
        await("B streams to A", 15_000, () -> drained(pair.b));
        assertEquals(HandshakeDecision.Kind.RESYNC_LOCAL_TO_PEER, pair.b.lastDecision().kind(), "not a replay");
        assertTrue(pair.b.roleState().agreed().isNone(), "B is in sync with A: " + pair.b.roleState());
        assertEquals(changedOnB.length, remirrorBlocksSent(pair.b));
        pair.close();
        assertTrue(pair.volumesEqual());
        assertEquals((byte) 0xB2, block(pair.volA(), 101)[0]);
        pair = null;
    }

    /** Both units restart while the resync is held: the target stays INCONSISTENT and the resync starts again. */
    @Test
    void aResyncInterruptedByRestartsStartsAgainAndCompletes() throws Exception {
        pair = UnitPair.startStreaming(dir);
        cutAndPromoteB();
        write(pair.a, 2, (byte) 0xA);
        write(pair.b, 3, (byte) 0xB);
        pair.link.restore();
        await("split brain", 15_000, () -> pair.b.alerts().isActive(AlertKind.SPLIT_BRAIN));
        queue(pair.b, "stop-send");
        pair.a.resolve(org.blockmirror.role.Resolution.KEEP_PEER);
        assertResyncTargetBeforeTheCopy(pair.a, pair.confA);

        pair.a.close();
        pair.b.close();
        pair.startB();
        pair.startA();
        assertTrue(pair.a.roleState().has(Flag.INCONSISTENT) && pair.a.roleState().has(Flag.DISCARD_LOCAL),
                "persisted: " + pair.a.roleState());
        assertEquals(RemoteSyncState.INCONSISTENT, pair.a.secondaryHalf().syncState());
        assertFalse(pair.a.device().isReady());
        await("B's exchange decides the resync again", 15_000, () -> pair.b.lastDecision() != null
                && pair.b.lastDecision().kind() == HandshakeDecision.Kind.RESYNC_LOCAL_TO_PEER);
        assertEquals((byte) 0xA, block(pair.volA(), 2)[0], "still held: nothing copied");

        queue(pair.b, "start-send");
        await("A completes the resync", 20_000, () -> pair.a.roleState().current().equals(pair.b.roleState().current())
                && pair.a.roleState().flags().isEmpty());
        await("B streams to A", 15_000, () -> drained(pair.b));
        pair.close();
        assertTrue(pair.volumesEqual());
        assertEquals(0, block(pair.volA(), 2)[0]);
        pair = null;
    }

    /** The loser's pre-hook (e.g. a snapshot of its discarded data) fails: nothing is overwritten, the reason is shown. */
    @Test
    void aFailingPreHookOnTheLoserRefusesTheResyncUntilItSucceeds() throws Exception {
        Path hook = dir.resolve("prehook");
        Path allow = dir.resolve("snapshot-space");
        Files.writeString(hook, "#!/bin/sh\n[ -e " + allow + " ] && exit 0\necho snapshot failed: no space; exit 3\n");
        Files.setPosixFilePermissions(hook, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        pair = UnitPair.prepare(dir, "remirror.pre-hook = " + hook);
        pair.startB();
        pair.startA();
        await("A streams to B", 10_000, () -> drained(pair.a));
        cutAndPromoteB();
        write(pair.a, 2, (byte) 0xA);
        write(pair.b, 3, (byte) 0xB);
        pair.link.restore();
        await("split brain", 15_000, () -> pair.a.alerts().isActive(AlertKind.SPLIT_BRAIN));

        pair.a.resolve(org.blockmirror.role.Resolution.KEEP_PEER);
        await("the refusal names the hook", 15_000, () -> pair.b.alerts().active().stream().anyMatch(x ->
                x.kind() == AlertKind.ROLE_CONFLICT && x.message().startsWith("RESYNC_UNAVAILABLE")
                        && x.message().contains("the remirror pre-hook failed")
                        && x.message().contains("snapshot failed: no space; nothing was written")));
        assertTrue(pair.a.alerts().isActive(AlertKind.ROLE_CONFLICT));
        assertFalse(pair.a.roleState().has(Flag.INCONSISTENT), "nothing persisted: " + pair.a.roleState());
        assertTrue(pair.a.secondaryHalf().syncState() != RemoteSyncState.INCONSISTENT);
        Thread.sleep(300); // retries: still refused, still nothing written
        assertEquals((byte) 0xA, block(pair.volA(), 2)[0]);
        assertEquals(0, block(pair.volA(), 3)[0]);

        Files.createFile(allow); // the administrator made room for the snapshot
        await("A completes the resync", 20_000, () -> pair.a.roleState().current().equals(pair.b.roleState().current())
                && pair.a.roleState().flags().isEmpty());
        await("B streams to A", 15_000, () -> drained(pair.b));
        assertFalse(pair.b.alerts().isActive(AlertKind.ROLE_CONFLICT));
        pair.close();
        assertTrue(pair.volumesEqual());
        pair = null;
    }

    /** The target persisted INCONSISTENT (role and copy) at the exchange; no alert asks for the administrator. */
    private static void assertResyncTargetBeforeTheCopy(UnitDaemon target, Path conf) throws Exception {
        await("the target persisted INCONSISTENT", 10_000, () -> target.roleState().has(Flag.INCONSISTENT));
        assertTrue(target.roleState().has(Flag.DISCARD_LOCAL), target.roleState().toString());
        assertEquals(RemoteSyncState.INCONSISTENT, target.secondaryHalf().syncState());
        assertFalse(target.alerts().isActive(AlertKind.ROLE_CONFLICT));
        String shown = run("role", "show", "--config", conf.toString());
        assertTrue(shown.contains("INCONSISTENT"), shown);
    }

    private static void queue(UnitDaemon u, String action) throws Exception {
        new ControlClient(u.config().stateDir().resolve("primary-half.sock")).call("queue " + action);
    }

    private static long remirrorBlocksSent(UnitDaemon source) {
        var r = source.primaryHalf().status().buffer().remirror();
        assertTrue(r != null && !r.active(), "a remirror ran and finished: " + r);
        return r.blocksSent();
    }

    @Test
    void offlineResynchronisationAfterResolve() throws Exception {
        pair = UnitPair.startStreaming(dir);
        cutAndPromoteB();
        write(pair.a, 2, (byte) 0xA);
        write(pair.b, 3, (byte) 0xB);
        pair.link.restore();
        await("split brain", 15_000, () -> pair.b.alerts().isActive(AlertKind.SPLIT_BRAIN));
        pair.b.resolve(org.blockmirror.role.Resolution.KEEP_LOCAL);
        pair.a.resolve(org.blockmirror.role.Resolution.KEEP_PEER);
        assertEquals(Role.SECONDARY, pair.a.roleState().role());

        // docs/operations.md, the offline procedure: stop both, copy, drop both journals and the loser's state
        pair.a.close();
        pair.a = null;
        pair.b.close();
        pair.b = null;
        Files.copy(pair.volB(), pair.volA(), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.delete(dir.resolve("a.journal"));
        Files.delete(dir.resolve("b.journal"));
        Files.delete(dir.resolve("a-state").resolve("role-state"));
        Files.delete(dir.resolve("a-state").resolve("applied-seq"));
        UnitDaemon.init(UnitConfig.load(pair.confA), Role.SECONDARY, new java.util.Random(1));
        pair.startA();
        pair.startB();
        await("B streams to A", 15_000, () -> drained(pair.b));
        assertEquals(HandshakeDecision.Kind.IN_SYNC_STREAM, pair.b.lastDecision().kind());
        assertEquals(pair.b.roleState().current(), pair.a.roleState().current());
        assertTrue(pair.a.roleState().flags().isEmpty() && pair.b.roleState().flags().isEmpty());
        write(pair.b, 4, (byte) 0xC);
        awaitMirrored(pair.b);
        pair.close();
        assertTrue(pair.volumesEqual());
        assertEquals((byte) 0xB, block(pair.volA(), 3)[0]);
        assertEquals(0, block(pair.volA(), 2)[0], "A's discarded write is gone, by the administrator's choice");
        pair = null;
    }

    @Test
    void theOldPrimaryIsFencedWhenTheNewOneMovedPastIt() throws Exception {
        pair = UnitPair.startStreaming(dir);
        write(pair.a, 1, (byte) 1);
        awaitMirrored(pair.a);

        cutAndPromoteB(); // A stays idle: it has nothing B lacks
        write(pair.b, 3, (byte) 0xB);
        assertTrue(pair.a.device().isReady(), "cut off, A cannot know yet");

        pair.link.restore();
        await("A learns B moved past its generation", 15_000, () -> pair.a.roleState().has(Flag.FENCED)
                && pair.a.alerts().isActive(AlertKind.WRITE_TOKEN_REVOKED));
        assertFalse(pair.a.device().isReady());
        assertNotReady(() -> pair.a.device().write(5, ByteBuffer.allocate(BLOCK)).get(), "write token revoked");
        assertEquals(0, block(pair.volA(), 5)[0]);
        assertTrue(pair.b.device().isReady(), "B keeps serving");

        // a restart does not lift the fence
        pair.a.close();
        pair.startA();
        assertTrue(pair.a.roleState().has(Flag.FENCED));
        assertNotReady(() -> pair.a.device().write(5, ByteBuffer.allocate(BLOCK)).get(), "write token revoked");

        // demoting the stale primary lets B's data flow to it: the journal replays B's writes
        pair.a.demote(false);
        await("B streams to A", 15_000, () -> drained(pair.b));
        assertEquals(pair.b.roleState().current(), pair.a.roleState().current());
        assertNotEquals(0, block(pair.volA(), 3)[0]);
        pair.close();
        assertTrue(pair.volumesEqual());
        pair = null;
    }

    private static String run(String... args) {
        PrintStream out = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            int code = BlockmirrorCommand.execute(args);
            assertEquals(0, code, () -> String.join(" ", args) + " failed: " + buf.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
        }
        return buf.toString(StandardCharsets.UTF_8);
    }
}
