package org.blockmirror.unit;

import static org.blockmirror.unit.UnitPair.BLOCK;
import static org.blockmirror.unit.UnitPair.await;
import static org.blockmirror.unit.UnitPair.drained;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.blockmirror.block.BlockDeviceException;
import org.blockmirror.role.HandshakeDecision;
import org.blockmirror.role.Role;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SPEC F9/F10 with real units on loopback: the first handshake of a new pair, role reversal under
 * host writes and back, the standby disk's NOT READY answers, and the refusals of `role reverse`.
 */
class RoleReversalTest {

    @TempDir
    Path dir;
    private UnitPair pair;

    @AfterEach
    void stop() {
        if (pair != null) {
            pair.close();
        }
    }

    @Test
    void reversalUnderLoadAndBackLeavesIdenticalCopies() throws Exception {
        pair = UnitPair.startStreaming(dir);
        assertEquals(HandshakeDecision.Kind.IN_SYNC_STREAM, pair.a.lastDecision().kind());
        assertEquals(pair.a.roleState().current(), pair.b.roleState().current(), "B adopted A's first generation");
        // B is a hot standby: real size, NOT READY to data
        assertFalse(pair.b.device().isReady());
        assertEquals(UnitPair.VOLUME_BYTES / BLOCK, pair.b.device().blockCount());
        assertNotReady(() -> pair.b.device().read(0, 1).get(), "standby");

        try (Writer w = new Writer(pair.a, 1)) {
            await("A accepted host writes", 10_000, () -> w.acked() > 20);
            // acknowledgements slowed down: the journal is not drained, so reverse without --wait refuses
            pair.link.delayTcp(() -> 300);
            await("A has unacknowledged writes", 10_000, () -> pair.a.primaryHalf().unacknowledgedRecords() > 0);
            IllegalStateException refused = assertThrows(IllegalStateException.class, () -> pair.a.reverse(false));
            assertTrue(refused.getMessage().startsWith("the journal is not drained: "), refused.getMessage());
            assertTrue(refused.getMessage().endsWith("write(s) not yet acknowledged by the peer; wait until the lag is"
                    + " 0 (blockmirror status) or use --wait, which stops host writes and waits for the drain"));
            assertEquals(Role.PRIMARY, pair.a.roleState().role());
            pair.link.delayTcp(() -> 0);
            pair.a.reverse(true); // under load: host writes stop, the journal drains, the roles swap
            assertTrue(pair.b.device().isReady(), "when reverse returns, the peer's disk serves");
            assertTrue(w.refused() > 0 || w.acked() > 0);
        }
        assertEquals(Role.SECONDARY, pair.a.roleState().role());
        await("B is primary and streams to A", 15_000, () -> drained(pair.b));
        assertEquals(Role.PRIMARY, pair.b.roleState().role());
        assertTrue(pair.b.device().isReady());
        assertFalse(pair.a.device().isReady());
        assertNotReady(() -> pair.a.device().write(0, ByteBuffer.allocate(BLOCK)).get(), "standby");

        try (Writer w = new Writer(pair.b, 2)) {
            await("B accepted host writes", 10_000, () -> w.acked() > 20);
        }
        await("A has everything B wrote", 10_000, () -> drained(pair.b));
        pair.b.reverse(false);
        assertTrue(pair.a.device().isReady(), "when reverse returns, the peer's disk serves");
        await("A is primary again and streams to B", 15_000, () -> drained(pair.a));
        try (Writer w = new Writer(pair.a, 3)) {
            await("A accepted host writes again", 10_000, () -> w.acked() > 20);
        }
        await("B has everything", 10_000, () -> drained(pair.a));
        assertEquals(pair.a.roleState().current(), pair.b.roleState().current());
        pair.close();
        assertTrue(pair.volumesEqual(), "both copies identical");
        pair = null;
    }

    @Test
    void reverseIsRefusedOnTheSecondaryAndWithoutThePeer() throws Exception {
        pair = UnitPair.startStreaming(dir);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> pair.b.reverse(false));
        assertEquals("cannot reverse: this unit is secondary for volume 'demo'; run the command on the primary",
                e.getMessage());
        pair.b.close();
        pair.b = null;
        await("A noticed", 10_000, () -> !"STREAMING".equals(pair.a.primaryHalf().status().replication().phase()));
        e = assertThrows(IllegalStateException.class, () -> pair.a.reverse(true));
        assertTrue(e.getMessage().startsWith("cannot reverse: the peer is not connected and in sync"), e.getMessage());
        assertEquals(Role.PRIMARY, pair.a.roleState().role(), "nothing changed");
        assertTrue(pair.a.device().isReady());
    }

    static void assertNotReady(ThrowingRunnable r, String messagePart) {
        ExecutionException e = assertThrows(ExecutionException.class, r::run);
        BlockDeviceException cause = (BlockDeviceException) e.getCause();
        assertEquals(BlockDeviceException.Reason.NOT_READY, cause.reason());
        assertTrue(cause.getMessage().contains(messagePart), cause.getMessage());
    }

    interface ThrowingRunnable {
        void run() throws Exception;
    }

    /** One host writing random blocks one at a time; refused writes (NOT READY) are counted, not fatal. */
    static final class Writer implements AutoCloseable {
        private final Thread thread;
        private volatile boolean stop;
        private volatile long acked;
        private volatile long refused;
        private volatile Throwable failure;

        Writer(UnitDaemon unit, long seed) {
            thread = new Thread(() -> {
                Random r = new Random(seed);
                while (!stop) {
                    byte[] data = new byte[BLOCK * (1 + r.nextInt(4))];
                    r.nextBytes(data);
                    long lba = r.nextInt((int) (UnitPair.VOLUME_BYTES / BLOCK) - 4);
                    try {
                        unit.device().write(lba, ByteBuffer.wrap(data)).get(10, TimeUnit.SECONDS);
                        acked++;
                    } catch (ExecutionException e) {
                        if (e.getCause() instanceof BlockDeviceException b
                                && b.reason() == BlockDeviceException.Reason.NOT_READY) {
                            refused++;
                        } else {
                            failure = e.getCause();
                            return;
                        }
                    } catch (Exception e) {
                        failure = e;
                        return;
                    }
                }
            }, "test-host");
            thread.start();
        }

        long acked() {
            return acked;
        }

        long refused() {
            return refused;
        }

        @Override
        public void close() throws InterruptedException {
            stop = true;
            thread.join(20_000);
            assertNull(failure, () -> "host write failed: " + failure);
        }
    }
}
