package org.blockmirror.remote;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.zip.CRC32C;
import org.blockmirror.volume.FileVolume;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The remote half of the verified ack mode on a real volume file: a write is applied only after
 * the ACK_ACK for exactly the copy held, still in seq order; a NAK verdict drops the copy and the
 * resend is verified afresh; stale verdicts change nothing; writes waiting for a verdict count
 * against the reorder window.
 */
class ApplierVerificationTest {

    private static final int BS = 512;
    private static final long BLOCKS = 64;
    private static final long QUIET_MS = 150;

    @TempDir
    Path dir;

    private FileVolume volume;
    private AppliedSequence applied;
    private Applier applier;

    @BeforeEach
    void open() throws IOException {
        openWithWindow(64L << 20);
    }

    private void openWithWindow(long windowBytes) throws IOException {
        volume = FileVolume.createFile(dir.resolve("remote.vol"), BLOCKS * BS, BS);
        applied = AppliedSequence.open(dir.resolve("applied-seq"));
        applier = new Applier(volume, applied, windowBytes);
        applier.start();
    }

    @AfterEach
    void close() throws Exception {
        applier.close();
        applied.close();
        volume.close();
    }

    /** Records what the applier answers on one connection (ACKs reach it on flush, like the real one). */
    private static final class Connection implements WriteResponder {
        final List<Long> acks = new CopyOnWriteArrayList<>();
        final List<String> naks = new CopyOnWriteArrayList<>();

        @Override
        public void ack(long seq) {
            acks.add(seq);
        }

        @Override
        public void nak(long seq, Failure failure, String message) {
            naks.add(seq + " " + failure + " " + message);
        }
    }

    private static byte[] content(long seed) {
        byte[] bytes = new byte[BS];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    private static int crc(byte[] data) {
        CRC32C c = new CRC32C();
        c.update(data);
        return (int) c.getValue();
    }

    /** A write whose data CRC field is {@code journalCrc} and whose data is {@code data}. */
    private static IncomingWrite write(long seq, long lba, byte[] data, int journalCrc, WriteResponder to) {
        ByteBuf buf = Unpooled.copiedBuffer(data);
        return new IncomingWrite(seq, false, lba, 1, journalCrc, buf, to);
    }

    private byte[] readBlock(long lba) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(BS);
        volume.read(lba * BS, buf);
        return buf.array();
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(5);
        }
    }

    /** Offers a good copy of {@code seq} (data derived from the seq) and returns its data. */
    private byte[] offerGood(long seq, Connection c) {
        byte[] data = content(seq);
        assertEquals(Applier.Admitted.AWAITING_VERDICT,
                applier.offerForVerification(write(seq, seq, data, crc(data), c), crc(data)));
        return data;
    }

    @Test
    void aWriteIsAppliedOnlyAfterItsAckAck() throws Exception {
        Connection c = new Connection();
        byte[] data = offerGood(1, c);
        Thread.sleep(QUIET_MS);
        assertEquals(0, applier.durableAppliedSeq(), "applied before the local unit confirmed it");
        assertEquals(BS, applier.bufferedBytes(), "held while it waits");

        assertTrue(applier.verdict(1, c, crc(data), true));
        await("seq 1 is applied", () -> applier.durableAppliedSeq() == 1);
        await("seq 1 is acknowledged", () -> c.acks.contains(1L));
        assertArrayEquals(data, readBlock(1));
        assertEquals(1, applier.verified());
        assertEquals(0, applier.verifyMismatches());
        assertFalse(applier.verdict(1, c, crc(data), true), "a second verdict for an applied write is stale");
    }

    @Test
    void confirmationsOutOfOrderStillApplyInSeqOrder() throws Exception {
        Connection c0 = new Connection();
        Connection c1 = new Connection();
        byte[] d1 = offerGood(1, c1);
        byte[] d2 = offerGood(2, c0);
        byte[] d3 = offerGood(3, c1);
        assertTrue(applier.verdict(3, c1, crc(d3), true));
        assertTrue(applier.verdict(2, c0, crc(d2), true));
        Thread.sleep(QUIET_MS);
        assertEquals(0, applier.durableAppliedSeq(), "seq 2 and 3 overtook the unconfirmed seq 1");

        assertTrue(applier.verdict(1, c1, crc(d1), true));
        await("all three are applied", () -> applier.durableAppliedSeq() == 3);
        assertArrayEquals(d1, readBlock(1));
        assertArrayEquals(d2, readBlock(2));
        assertArrayEquals(d3, readBlock(3));
    }

    @Test
    void aNakVerdictDropsTheCopyAndTheResendIsVerifiedAfresh() throws Exception {
        Connection c = new Connection();
        byte[] good = content(1);
        byte[] damaged = good.clone();
        damaged[100] ^= 0x40; // damaged after the journal computed its CRC: the field still says crc(good)
        assertEquals(Applier.Admitted.AWAITING_VERDICT,
                applier.offerForVerification(write(1, 1, damaged, crc(good), c), crc(damaged)));
        byte[] d2 = offerGood(2, c);
        assertTrue(applier.verdict(2, c, crc(d2), true));

        assertTrue(applier.verdict(1, c, crc(damaged), false));
        assertEquals(BS, applier.bufferedBytes(), "the rejected copy is dropped, seq 2 is still held");
        assertEquals(1, applier.verifyMismatches());
        Thread.sleep(QUIET_MS);
        assertEquals(0, applier.durableAppliedSeq());

        // the local unit's resend, on the same connection
        assertEquals(Applier.Admitted.AWAITING_VERDICT,
                applier.offerForVerification(write(1, 1, good, crc(good), c), crc(good)));
        assertFalse(applier.verdict(1, c, crc(damaged), true), "a verdict naming the dropped copy is stale");
        Thread.sleep(QUIET_MS);
        assertEquals(0, applier.durableAppliedSeq());
        assertTrue(applier.verdict(1, c, crc(good), true));
        await("both are applied", () -> applier.durableAppliedSeq() == 2);
        assertArrayEquals(good, readBlock(1), "the damaged copy never reached the volume");
        assertArrayEquals(d2, readBlock(2));
        assertEquals(List.of(), c.naks);
    }

    @Test
    void aVerdictFromAnotherConnectionIsStale() throws Exception {
        Connection earlierSession = new Connection();
        Connection resend = new Connection();
        byte[] data = offerGood(1, earlierSession);
        // the new session's resend replaces the held copy: the old connection's verdict no longer counts
        offerGood(1, resend);
        assertFalse(applier.verdict(1, earlierSession, crc(data), true));
        assertFalse(applier.verdict(1, earlierSession, crc(data), false));
        assertFalse(applier.verdict(7, resend, crc(data), true), "nothing held for seq 7");
        Thread.sleep(QUIET_MS);
        assertEquals(0, applier.durableAppliedSeq());
        assertEquals(0, applier.verifyMismatches());
        assertTrue(applier.verdict(1, resend, crc(data), true));
        await("seq 1 is applied", () -> applier.durableAppliedSeq() == 1);
        await("acknowledged on the resend's connection", () -> resend.acks.contains(1L));
        assertEquals(List.of(), earlierSession.acks);
    }

    @Test
    void anAppliedWriteOfferedAgainIsAnsweredWithoutAVerify() throws Exception {
        Connection c = new Connection();
        byte[] data = offerGood(1, c);
        applier.verdict(1, c, crc(data), true);
        await("seq 1 is applied", () -> applier.durableAppliedSeq() == 1);
        Connection again = new Connection();
        assertEquals(Applier.Admitted.ANSWERED,
                applier.offerForVerification(write(1, 1, data, crc(data), again), crc(data)));
        await("the duplicate is acknowledged", () -> again.acks.contains(1L));
    }

    @Test
    void anUnverifiedResendReplacesACopyWaitingForAVerdict() throws Exception {
        // a local unit restarted in sync mode resends what a verified session left held
        Connection verifiedSession = new Connection();
        offerGood(1, verifiedSession);
        Connection syncSession = new Connection();
        byte[] data = content(1);
        assertTrue(applier.offer(write(1, 1, data, crc(data), syncSession)));
        await("seq 1 is applied without a verdict", () -> applier.durableAppliedSeq() == 1);
        assertArrayEquals(data, readBlock(1));
    }

    @Test
    void writesWaitingForAVerdictCountAgainstTheReorderWindow() throws Exception {
        close();
        java.nio.file.Files.delete(dir.resolve("remote.vol"));
        openWithWindow(3L * BS);
        Connection c = new Connection();
        for (long seq = 1; seq <= 3; seq++) {
            offerGood(seq, c);
        }
        byte[] data = content(4);
        assertEquals(Applier.Admitted.OVERFLOW,
                applier.offerForVerification(write(4, 4, data, crc(data), c), crc(data)));
        assertEquals(3L * BS, applier.bufferedBytes());
    }
}
