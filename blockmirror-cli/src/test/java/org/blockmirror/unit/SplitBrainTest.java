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
        pair = UnitPair.start(dir);
        await("A streams to B", 10_000, () -> drained(pair.a));
        write(pair.a, 1, (byte) 1);
        await("mirrored", 10_000, () -> drained(pair.a));

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

        // the administrator keeps B's data: A is demoted and marked to be overwritten
        String resolved = run("role", "resolve", "--keep-peer", "--config", pair.confA.toString());
        assertTrue(resolved.contains("role: SECONDARY"), resolved);
        assertTrue(resolved.contains("DISCARD_LOCAL"), resolved);
        assertFalse(pair.a.device().isReady());
        await("the next handshake follows the choice", 15_000, () -> pair.b.lastDecision() != null
                && pair.b.lastDecision().kind() == HandshakeDecision.Kind.RESYNC_LOCAL_TO_PEER);
        assertEquals(HandshakeDecision.Kind.RESYNC_PEER_TO_LOCAL, pair.a.lastDecision().kind());
        // without the remirror engine the resync is refused, with the reason: still nothing is overwritten
        await("the refusal names the missing resync", 10_000,
                () -> pair.b.alerts().isActive(AlertKind.ROLE_CONFLICT));
        assertTrue(pair.b.alerts().active().stream().anyMatch(x -> x.message().contains("remirror")));
        assertArrayEquals(block(pair.volB(), 3), block(pair.volB(), 3));
        assertEquals((byte) 0xA, block(pair.volA(), 2)[0], "A's discarded write is still there until the resync");
    }

    @Test
    void offlineResynchronisationAfterResolve() throws Exception {
        pair = UnitPair.start(dir);
        await("A streams to B", 10_000, () -> drained(pair.a));
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
        await("mirrored", 10_000, () -> drained(pair.b));
        pair.close();
        assertTrue(pair.volumesEqual());
        assertEquals((byte) 0xB, block(pair.volA(), 3)[0]);
        assertEquals(0, block(pair.volA(), 2)[0], "A's discarded write is gone, by the administrator's choice");
        pair = null;
    }

    @Test
    void theOldPrimaryIsFencedWhenTheNewOneMovedPastIt() throws Exception {
        pair = UnitPair.start(dir);
        await("A streams to B", 10_000, () -> drained(pair.a));
        write(pair.a, 1, (byte) 1);
        await("mirrored", 10_000, () -> drained(pair.a));

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
