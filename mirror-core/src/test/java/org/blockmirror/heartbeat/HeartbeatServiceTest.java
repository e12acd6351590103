package org.blockmirror.heartbeat;

import static org.blockmirror.heartbeat.LinkState.DOWN;
import static org.blockmirror.heartbeat.LinkState.PROBATION;
import static org.blockmirror.heartbeat.LinkState.STARTING;
import static org.blockmirror.heartbeat.LinkState.UP;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.blockmirror.time.MonotonicClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;

@Timeout(value = 20, unit = TimeUnit.SECONDS)
class HeartbeatServiceTest {

    /** Short timings so a full cut-and-recover cycle takes about a second. */
    private static final HeartbeatSettings FAST = new HeartbeatSettings(50, 200, 500, 125);
    private static final long SLACK_MILLIS = 1500; // two shared cores: scheduling can lag

    private static final InetSocketAddress ANY_LOOPBACK = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

    private final MonotonicClock clock = MonotonicClock.system();
    private final List<AutoCloseable> toClose = new ArrayList<>();

    /** Transitions with the monitor's own transition time (stateSince), recorded on the heartbeat event loop. */
    private record Seen(LinkState from, LinkState to, long atMillis, String reason) { }

    private static final class Recorder implements LinkListener {
        final List<Seen> seen = new ArrayList<>();
        private final LinkMonitor monitor;

        Recorder(LinkMonitor monitor) {
            this.monitor = monitor;
            monitor.addListener(this);
        }

        @Override
        public synchronized void onTransition(LinkState from, LinkState to, String reason) {
            // Called under the monitor's lock: stateSince() is the instant the monitor decided.
            seen.add(new Seen(from, to, monitor.stateSince(), reason));
        }

        synchronized List<Seen> copy() {
            return List.copyOf(seen);
        }

        synchronized Seen last(LinkState to) {
            for (int i = seen.size() - 1; i >= 0; i--) {
                if (seen.get(i).to() == to) {
                    return seen.get(i);
                }
            }
            throw new AssertionError("no transition to " + to + " in " + seen);
        }
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
    }

    private <T extends AutoCloseable> T closing(T c) {
        toClose.add(c);
        return c;
    }

    private HeartbeatService service(UUID unit, String volume, InetSocketAddress peer, ConnectionArray array) {
        return closing(HeartbeatService.builder()
                .unitId(unit).volumeId(volume)
                .bindAddress(ANY_LOOPBACK).peerAddress(peer)
                .settings(FAST).clock(clock).connections(array)
                .build());
    }

    private static void await(String what, long timeoutMillis, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeoutMillis + " ms waiting for " + what);
            }
            Thread.sleep(5);
        }
    }

    @Test
    void twoUnitsGoUpDownOnACutAndUpAgainAfterProbation() throws Exception {
        UdpForwarder toB = closing(new UdpForwarder());
        UdpForwarder toA = closing(new UdpForwarder());
        ConnectionArray arrayA = new ConnectionArray(2, clock);
        HeartbeatService a = service(UUID.randomUUID(), "vol-1", toB.address(), arrayA);
        HeartbeatService b = service(UUID.randomUUID(), "vol-1", toA.address(), null);
        Recorder seenA = new Recorder(a.monitor());
        Recorder seenB = new Recorder(b.monitor());
        a.start();
        b.start();
        toB.target(b.localAddress());
        toA.target(a.localAddress());

        // 1. Both reach UP straight from STARTING; each shows the other's view.
        await("both UP", SLACK_MILLIS, () -> a.monitor().state() == UP && b.monitor().state() == UP);
        assertEquals(List.of(STARTING), seenA.copy().stream().map(Seen::from).toList());
        await("peer views UP", SLACK_MILLIS, () -> a.lastPeerHeartbeat().map(h -> h.senderLinkState() == UP).orElse(false)
                && b.lastPeerHeartbeat().map(h -> h.senderLinkState() == UP).orElse(false));
        EmbeddedChannel connection = new EmbeddedChannel();
        assertTrue(arrayA.register(0, MirrorConnection.of(connection)), "array open once the link is UP");

        // 2. Cut the link both ways: both go DOWN within the timeout; A's connection is closed.
        long cutAt = clock.millis();
        toB.dropping(true);
        toA.dropping(true);
        await("both DOWN", FAST.timeoutMillis() + SLACK_MILLIS,
                () -> a.monitor().state() == DOWN && b.monitor().state() == DOWN);
        for (Recorder r : List.of(seenA, seenB)) {
            Seen down = r.last(DOWN);
            assertEquals(UP, down.from());
            assertTrue(down.atMillis() - cutAt <= FAST.timeoutMillis() + SLACK_MILLIS, down.toString());
            long silence = Long.parseLong(down.reason().replaceAll(".* for (\\d+) ms.*", "$1"));
            assertTrue(silence >= FAST.timeoutMillis(), down.reason());
        }
        assertFalse(connection.isOpen(), "connections closed on DOWN");
        assertEquals(ConnectionStatus.DOWN, arrayA.status(0));
        long sentWhileDown = a.stats().sent();
        await("heartbeats keep being sent while DOWN", SLACK_MILLIS, () -> a.stats().sent() >= sentWhileDown + 3);
        assertEquals(DOWN, a.monitor().state());

        // 3. Restore: PROBATION first, UP only after the full probation, then connections are allowed.
        toB.dropping(false);
        toA.dropping(false);
        await("both PROBATION or later", SLACK_MILLIS, () -> a.monitor().state() != DOWN && b.monitor().state() != DOWN);
        assertFalse(arrayA.register(1, MirrorConnection.of(new EmbeddedChannel())), "no connections during probation");
        await("both UP again", FAST.probationMillis() + SLACK_MILLIS,
                () -> a.monitor().state() == UP && b.monitor().state() == UP);
        for (Recorder r : List.of(seenA, seenB)) {
            List<LinkState> tos = r.copy().stream().map(Seen::to).toList();
            assertEquals(List.of(UP, DOWN, PROBATION, UP), tos, r.copy().toString());
            long probation = r.last(UP).atMillis() - r.last(PROBATION).atMillis();
            assertTrue(probation >= FAST.probationMillis(), "UP after " + probation + " ms of probation");
        }
        assertTrue(arrayA.isAccepting());
        assertTrue(toA.dropped() > 0 && toB.dropped() > 0, "the cut really dropped datagrams");

        HeartbeatStats stats = a.stats();
        assertTrue(stats.sent() > 0 && stats.received() > 0, stats.toString());
        assertEquals(0, stats.rejected(), stats.toString());
        assertTrue(stats.missed() >= 3, "the counter gap shows the lost heartbeats: " + stats);
    }

    @Test
    void badDatagramsAreCountedAndRejectedWithoutDisturbingTheLink() throws Exception {
        UdpForwarder nowhere = closing(new UdpForwarder()); // no target: A's own heartbeats vanish
        UUID unitA = UUID.randomUUID();
        HeartbeatService a = service(unitA, "vol-1", nowhere.address(), null);
        a.start();
        InetSocketAddress target = a.localAddress();

        try (DatagramSocket s = new DatagramSocket(ANY_LOOPBACK)) {
            send(s, target, "GET / HTTP/1.0\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            ByteBuf corrupted = encode(new Heartbeat(UUID.randomUUID(), "vol-1", 1, 0, UP));
            corrupted.setByte(30, corrupted.getByte(30) ^ 1);
            send(s, target, corrupted);
            send(s, target, encode(new Heartbeat(UUID.randomUUID(), "vol-2", 1, 0, UP)));
            send(s, target, encode(new Heartbeat(unitA, "vol-1", 1, 0, UP)));

            await("four rejections", SLACK_MILLIS, () -> a.stats().rejected() == 4);
            HeartbeatStats stats = a.stats();
            assertEquals(1, stats.rejected(RejectReason.MALFORMED), stats.toString());
            assertEquals(1, stats.rejected(RejectReason.BAD_CRC), stats.toString());
            assertEquals(1, stats.rejected(RejectReason.WRONG_VOLUME), stats.toString());
            assertEquals(1, stats.rejected(RejectReason.OWN_UNIT), stats.toString());
            assertEquals(0, stats.received());
            assertTrue(a.lastPeerHeartbeat().isEmpty());
            assertTrue(a.monitor().state() == STARTING || a.monitor().state() == DOWN, a.monitor().toString());

            // The channel survived the garbage: a valid heartbeat is still accepted.
            UUID peer = UUID.randomUUID();
            send(s, target, encode(new Heartbeat(peer, "vol-1", 7, 123, PROBATION)));
            await("valid heartbeat received", SLACK_MILLIS, () -> a.stats().received() == 1);
            Heartbeat last = a.lastPeerHeartbeat().orElseThrow();
            assertEquals(peer, last.senderUnitId());
            assertEquals(7, last.counter());
            assertEquals(PROBATION, last.senderLinkState());
        }
    }

    @Test
    void bindingAnAddressInUseFailsWithAClearMessage() throws Exception {
        UdpForwarder nowhere = closing(new UdpForwarder());
        HeartbeatService first = service(UUID.randomUUID(), "vol-1", nowhere.address(), null);
        first.start();
        InetSocketAddress taken = first.localAddress();
        HeartbeatService second = closing(HeartbeatService.builder()
                .unitId(UUID.randomUUID()).volumeId("vol-1")
                .bindAddress(taken).peerAddress(nowhere.address()).settings(FAST).build());
        IOException e = assertThrows(IOException.class, second::start);
        assertTrue(e.getMessage().startsWith("cannot bind heartbeat socket to " + taken + ": "), e.getMessage());
        IllegalStateException again = assertThrows(IllegalStateException.class, second::start);
        assertTrue(again.getMessage().endsWith("already closed"), again.getMessage());
    }

    @Test
    void startTwiceIsRejectedAndCloseIsIdempotent() throws Exception {
        UdpForwarder nowhere = closing(new UdpForwarder());
        HeartbeatService s = service(UUID.randomUUID(), "vol-1", nowhere.address(), null);
        s.close(); // closing a never-started service is fine
        assertThrows(IllegalStateException.class, s::start);

        HeartbeatService t = service(UUID.randomUUID(), "vol-1", nowhere.address(), null);
        t.start();
        IllegalStateException e = assertThrows(IllegalStateException.class, t::start);
        assertTrue(e.getMessage().endsWith("already started"), e.getMessage());
        await("some heartbeats sent", SLACK_MILLIS, () -> t.stats().sent() >= 2);
        t.close();
        t.close();
        long sentAfterClose = t.stats().sent();
        Thread.sleep(3 * FAST.intervalMillis());
        assertEquals(sentAfterClose, t.stats().sent(), "nothing sent after close");
    }

    @Test
    void builderRejectsAVolumeIdThatDoesNotFitAHeartbeat() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HeartbeatService.builder()
                .unitId(UUID.randomUUID()).volumeId("")
                .bindAddress(ANY_LOOPBACK).peerAddress(ANY_LOOPBACK).build());
        assertEquals("volume id must not be empty", e.getMessage());
    }

    private static ByteBuf encode(Heartbeat hb) {
        ByteBuf buf = Unpooled.buffer();
        HeartbeatCodec.encode(hb, buf);
        return buf;
    }

    private static void send(DatagramSocket s, InetSocketAddress to, ByteBuf buf) throws IOException {
        try {
            send(s, to, ByteBufUtil.getBytes(buf));
        } finally {
            buf.release();
        }
    }

    private static void send(DatagramSocket s, InetSocketAddress to, byte[] data) throws IOException {
        s.send(new DatagramPacket(data, data.length, to));
    }
}
