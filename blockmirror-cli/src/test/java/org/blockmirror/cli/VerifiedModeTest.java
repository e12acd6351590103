package org.blockmirror.cli;

import static org.blockmirror.cli.BackgroundWrites.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.blockmirror.alert.AlertKind;
import org.blockmirror.block.BlockDevice;
import org.blockmirror.local.LocalStatus;
import org.blockmirror.remote.RemoteStatus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The verified ack mode end to end (SPEC F5), two real daemons on 127.0.0.1: the remote reports
 * the CRC32C of every write it received, the local unit confirms it (ACK_ACK) or rejects it
 * (NAK), and the remote writes only confirmed data. Damage is injected by the test harness — a
 * relay that flips a WRITE data byte on the wire, which no frame CRC covers — and must be caught,
 * rejected and resent; a link cut degrades the host acknowledgement exactly like sync mode.
 */
class VerifiedModeTest {

    private static final int CONNECTIONS = 2;
    private static final int BS = 4096;
    private static final long INTERVAL_MS = 100;
    private static final long TIMEOUT_MS = 500;
    private static final long PROBATION_MS = 1500;

    @TempDir
    Path dir;

    private LoopbackPair pair;
    private CorruptingProxy proxy;

    @AfterEach
    void stop() throws InterruptedException {
        if (pair != null) {
            pair.close();
        }
        if (proxy != null) {
            proxy.close();
        }
    }

    /** A verified-mode pair; with {@code damaging} the replication connections pass the corrupting relay. */
    private void startPair(boolean damaging, String... localLines) throws Exception {
        pair = LoopbackPair.prepare(dir, LoopbackPair.Options.defaults()
                .withVolumeBytes(16L << 20).withJournalBytes(64L << 20).withConnections(CONNECTIONS)
                .withAckMode("verified").withHeartbeat(INTERVAL_MS, TIMEOUT_MS, PROBATION_MS));
        if (damaging) {
            Path conf = pair.localConfig();
            Matcher m = Pattern.compile("(?m)^remote\\.address = (\\S+):(\\d+)$").matcher(Files.readString(conf));
            assertTrue(m.find(), "the generated local.conf names remote.address");
            proxy = new CorruptingProxy(new InetSocketAddress(m.group(1), Integer.parseInt(m.group(2))));
            Files.writeString(conf, m.replaceFirst("remote.address = 127.0.0.1:" + proxy.address().getPort()));
        }
        pair.configureLocal(localLines);
        pair.startRemote();
        pair.startLocal();
        await("replication is streaming on every connection", 10_000,
                () -> status().replication().connectionsUp() == CONNECTIONS
                        && status().replication().phase().equals("STREAMING"));
    }

    private LocalStatus status() {
        return pair.local().status();
    }

    private RemoteStatus remoteStatus() {
        return pair.remote().status();
    }

    private static ByteBuffer block(long seed) {
        byte[] b = new byte[BS];
        new Random(seed).nextBytes(b);
        return ByteBuffer.wrap(b);
    }

    private byte[] remoteBlock(long lba) throws Exception {
        try (FileChannel ch = FileChannel.open(pair.remoteVolume(), StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate(BS);
            ch.read(b, lba * BS);
            return b.array();
        }
    }

    private void assertCopiesMatch() throws InterruptedException {
        assertTrue(pair.local().awaitDrained(30, TimeUnit.SECONDS), "the remote caught up; " + status());
        assertEquals(0, status().blocks().writesFailed());
        assertEquals(-1, pair.firstDifference(), "remote volume differs from the local one");
    }

    @Test
    void mirrorsAWorkloadAndTheHostIsAnsweredOnlyOnceTheRemoteHasTheWrite() throws Exception {
        startPair(false);
        BlockDevice device = pair.local().device();
        for (int i = 0; i < 40; i++) {
            device.write(i * 3L, block(i)).get(10, TimeUnit.SECONDS);
            long written = status().journal().durableSeq(); // the write just answered: nothing else is writing
            assertTrue(pair.remote().appliedSeq() >= written, "host answered for seq " + written
                    + " while the remote has applied only " + pair.remote().appliedSeq());
        }
        device.trim(3, 6).get(10, TimeUnit.SECONDS); // a TRIM is verified too: the CRC32C of no data
        assertTrue(pair.remote().appliedSeq() >= status().journal().durableSeq(), "TRIM answered before the remote had it");
        assertArrayEquals(new byte[BS], remoteBlock(6), "the remote applied the TRIM");
        // then a concurrent workload whose frames arrive out of order over the two connections
        Random delays = new Random(5);
        pair.link().delayTcp(() -> delays.nextInt(4));
        try (BackgroundWrites writes = new BackgroundWrites(device, 8L << 20, 99)) {
            await("host writes complete", 10_000, () -> writes.acks() > 200);
        }
        assertCopiesMatch();

        LocalStatus.Verification local = status().verification();
        RemoteStatus.Verification remote = remoteStatus().verification();
        assertTrue(local.verified() >= 241, local.toString());
        assertEquals(0, local.verifyMismatches());
        assertEquals(0, local.resends());
        assertEquals(local.verified(), remote.verified(), "every ACK_ACK sent was received");
        assertEquals(0, remote.verifyMismatches());
        assertEquals(pair.remote().appliedSeq(), remoteStatus().writesApplied(), "each write applied once");
    }

    @Test
    void aWriteDamagedOnTheWayIsRejectedAndResentWithinTheSession() throws Exception {
        startPair(true);
        BlockDevice device = pair.local().device();
        for (int i = 0; i < 5; i++) {
            device.write(i, block(i)).get(10, TimeUnit.SECONDS);
        }
        long sessions = status().replication().sessionsOpened();
        long seq = status().journal().durableSeq() + 1;
        proxy.corrupt(seq, 1);

        ByteBuffer data = block(1234);
        device.write(100, data.duplicate()).get(10, TimeUnit.SECONDS);
        assertEquals(List.of(seq), proxy.damaged, "the harness damaged the write on the wire");
        assertTrue(pair.remote().appliedSeq() >= seq, "the host was answered only after the resend was applied");
        assertArrayEquals(data.array(), remoteBlock(100), "the remote wrote the resent data, not the damaged copy");

        assertEquals(new LocalStatus.Verification(6, 1, 1), status().verification());
        assertEquals(new RemoteStatus.Verification(6, 1), remoteStatus().verification());
        assertEquals(sessions, status().replication().sessionsOpened(), "resent within the session");
        assertEquals(0, status().replication().naks(), "no NAK from the remote: the local unit judged");
        assertTrue(status().alerts().stream().noneMatch(a -> a.kind() == AlertKind.SYNC_DEGRADED),
                status().alerts().toString());

        for (int i = 0; i < 20; i++) {
            device.write(200 + i, block(500 + i)).get(10, TimeUnit.SECONDS);
        }
        assertCopiesMatch();
    }

    @Test
    void aWriteDamagedAgainAndAgainEndsTheSessionAndTheNextSessionDeliversIt() throws Exception {
        startPair(true);
        BlockDevice device = pair.local().device();
        device.write(0, block(1)).get(10, TimeUnit.SECONDS);
        long sessions = status().replication().sessionsOpened();
        long seq = status().journal().durableSeq() + 1;
        // one more damaged copy than the local unit resends within one session (VerifyTracker.MAX_REJECTIONS = 3)
        proxy.corrupt(seq, 4);

        ByteBuffer data = block(77);
        device.write(9, data.duplicate()).get(15, TimeUnit.SECONDS);
        assertEquals(List.of(seq, seq, seq, seq), proxy.damaged);
        assertTrue(pair.remote().appliedSeq() >= seq);
        assertArrayEquals(data.array(), remoteBlock(9));
        assertEquals(sessions + 1, status().replication().sessionsOpened(), "the local unit started over once");
        assertEquals(4, status().verification().verifyMismatches());
        assertEquals(3, status().verification().resends());
        assertCopiesMatch();
    }

    @Test
    void aLinkCutDegradesTheHostAckLikeSyncModeAndReplicationRecovers() throws Exception {
        long syncTimeoutMs = 300;
        startPair(false, "ack.sync-timeout-ms = " + syncTimeoutMs);
        BlockDevice device = pair.local().device();
        try (BackgroundWrites writes = new BackgroundWrites(device, 2L << 20, 3)) {
            await("host writes complete", 5_000, () -> writes.acks() > 20);
            pair.link().cut();
            await("the local unit sees the link DOWN", TIMEOUT_MS + 2_000, () -> status().link().state().equals("DOWN"));

            long before = System.nanoTime();
            device.write(4000, block(4000)).get(10, TimeUnit.SECONDS);
            long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - before);
            assertTrue(tookMs >= syncTimeoutMs - 50, "answered after " + tookMs + " ms, without the remote");
            long acksInCut = writes.acks();
            await("host writes keep completing during the cut", 5_000, () -> writes.acks() > acksInCut + 10);
            await("the sync-degraded alert is raised", 2_000, () -> status().alerts().stream()
                    .anyMatch(a -> a.kind() == AlertKind.SYNC_DEGRADED));
            assertEquals(0, writes.workload().writesFailed(), "host writes failed: " + writes.workload().firstFailure());

            pair.link().restore();
            await("replication is back", 15_000, () -> status().replication().connectionsUp() == CONNECTIONS
                    && status().replication().phase().matches("REPLAYING|STREAMING"));
        }
        assertCopiesMatch();
        await("the sync-degraded alert clears", 5_000, () -> status().alerts().stream()
                .noneMatch(a -> a.kind() == AlertKind.SYNC_DEGRADED));
        assertEquals(0, status().verification().verifyMismatches());
        assertTrue(status().verification().verified() > 0);
    }
}
