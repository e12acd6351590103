package org.blockmirror.remote;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.zip.CRC32C;
import org.blockmirror.volume.FileVolume;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The remote's in-order apply on a real volume file and a real applied-sequence file: whatever
 * order writes arrive in, the volume ends up as if they were applied in sequence order, an ACK
 * means durable, resends are acknowledged without going backwards, and bad writes are NAKed.
 */
class ApplierTest {

    private static final int BS = 512;
    private static final long BLOCKS = 256;

    @TempDir
    Path dir;

    private FileVolume volume;
    private AppliedSequence applied;
    private Applier applier;

    @BeforeEach
    void open() throws IOException {
        volume = FileVolume.createFile(dir.resolve("remote.vol"), BLOCKS * BS, BS);
        applied = AppliedSequence.open(dir.resolve("applied-seq"));
        applier = new Applier(volume, applied, 64L << 20, 256L << 10); // small batches applied inline
        applier.start();
    }

    @AfterEach
    void close() throws Exception {
        applier.close();
        applied.close();
        volume.close();
    }

    /**
     * A connection's answer stream as the local unit sees it: like the real responder, answers
     * are buffered and only reach the peer on {@link #flush()}.
     */
    private class Connection implements WriteResponder {
        final String name;
        private final List<Long> buffered = new ArrayList<>();
        final List<Long> acks = new CopyOnWriteArrayList<>();
        final List<String> naks = new CopyOnWriteArrayList<>();
        final List<String> problems = new CopyOnWriteArrayList<>();

        Connection(String name) {
            this.name = name;
        }

        @Override
        public synchronized void ack(long seq) {
            long durable = applier.durableAppliedSeq();
            if (durable < seq) {
                problems.add(name + ": ACK " + seq + " sent while only seq " + durable + " is durable");
            }
            buffered.add(seq);
        }

        @Override
        public synchronized void nak(long seq, Failure failure, String message) {
            naks.add(seq + " " + failure + " " + message); // the real responder flushes NAKs at once
        }

        @Override
        public synchronized void flush() {
            acks.addAll(buffered);
            buffered.clear();
        }
    }

    private static ByteBuffer content(long seq, int blocks) {
        byte[] bytes = new byte[blocks * BS];
        new Random(seq * 7919).nextBytes(bytes);
        ByteBuffer.wrap(bytes).putLong(0, seq);
        return ByteBuffer.wrap(bytes);
    }

    private static int crc(ByteBuffer data) {
        CRC32C c = new CRC32C();
        c.update(data.duplicate());
        return (int) c.getValue();
    }

    private static IncomingWrite write(long seq, long lba, ByteBuffer data, WriteResponder to) {
        ByteBuf buf = Unpooled.copiedBuffer(data.duplicate());
        return new IncomingWrite(seq, false, lba, data.remaining() / BS, crc(data), buf, to);
    }

    private static IncomingWrite trim(long seq, long lba, int blocks, WriteResponder to) {
        return new IncomingWrite(seq, true, lba, blocks, 0, null, to);
    }

    private byte[] readBlocks(long lba, int blocks) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(blocks * BS);
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

    @Test
    void shuffledOverlappingWritesFromSeveralThreadsEndAsIfAppliedInSequenceOrder() throws Exception {
        int count = 2000;
        Random random = new Random(20240611);
        List<Connection> connections = List.of(new Connection("c0"), new Connection("c1"), new Connection("c2"),
                new Connection("c3"));
        byte[] expected = new byte[(int) (BLOCKS * BS)];
        List<IncomingWrite> writes = new ArrayList<>();
        for (long seq = 1; seq <= count; seq++) {
            Connection to = connections.get((int) (seq % connections.size()));
            int blocks = 1 + random.nextInt(4);
            long lba = random.nextInt(32 - blocks + 1); // a hot set of 32 blocks: heavy overlap
            if (random.nextInt(20) == 0) {
                writes.add(trim(seq, lba, blocks, to));
                java.util.Arrays.fill(expected, (int) lba * BS, (int) (lba + blocks) * BS, (byte) 0);
            } else {
                ByteBuffer data = content(seq, blocks);
                writes.add(write(seq, lba, data, to));
                data.duplicate().get(expected, (int) lba * BS, blocks * BS);
            }
        }
        // Shuffle within a sliding window so the reorder buffer is exercised but stays bounded,
        // then deal the writes to four offering threads.
        for (int i = 0; i < writes.size(); i += 64) {
            Collections.shuffle(writes.subList(i, Math.min(writes.size(), i + 128)), random);
        }
        int threads = 4;
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> offerers = new ArrayList<>();
        List<String> refused = new CopyOnWriteArrayList<>();
        for (int t = 0; t < threads; t++) {
            int first = t;
            Thread th = new Thread(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = first; i < writes.size(); i += threads) {
                    if (!applier.offer(writes.get(i))) {
                        refused.add("seq " + writes.get(i).seq());
                    }
                }
            });
            th.start();
            offerers.add(th);
        }
        start.countDown();
        for (Thread th : offerers) {
            th.join();
        }
        await("every write is applied", () -> applier.durableAppliedSeq() == count);

        assertEquals(List.of(), refused);
        assertArrayEquals(expected, readBlocks(0, (int) BLOCKS), "volume differs from applying in seq order");
        // counted just after the applied seq is persisted, so the last batch may still be counting
        await("every write is counted", () -> applier.writesApplied() >= count);
        assertEquals(count, applier.writesApplied());
        for (Connection c : connections) {
            assertEquals(List.of(), c.problems);
            assertEquals(List.of(), c.naks);
            for (int i = 1; i < c.acks.size(); i++) {
                assertTrue(c.acks.get(i - 1) < c.acks.get(i),
                        c.name + " got ACK " + c.acks.get(i) + " after ACK " + c.acks.get(i - 1));
            }
            for (long seq : c.acks) {
                assertEquals(c, connections.get((int) (seq % connections.size())),
                        "ACK for seq " + seq + " went to the wrong connection");
            }
        }
        // ACKs are cumulative: each write is covered by an ACK on its own connection
        for (long seq = 1; seq <= count; seq++) {
            Connection c = connections.get((int) (seq % connections.size()));
            long s = seq;
            assertTrue(c.acks.stream().anyMatch(a -> a >= s), "seq " + seq + " is not covered by an ACK on " + c.name);
        }
        long acksSent = connections.stream().mapToLong(c -> c.acks.size()).sum();
        assertTrue(acksSent <= count, acksSent + " ACKs for " + count + " writes");
        // and the persisted applied sequence survives a reopen
        try (AppliedSequence reread = AppliedSequence.open(dir.resolve("applied-seq"))) {
            assertEquals(count, reread.get());
        }
    }

    @Test
    void aResentOldWriteIsAcknowledgedButNeverAppliedAgain() throws Exception {
        Connection first = new Connection("first");
        ByteBuffer older = content(1, 2);
        ByteBuffer newer = content(2, 1);
        applier.offer(write(1, 10, older, first));
        applier.offer(write(2, 10, newer, first));
        await("seq 2 is applied", () -> applier.durableAppliedSeq() == 2);
        await("ACK 2 reaches the peer", () -> first.acks.contains(2L));

        // a new session resends seq 1 (the local unit had not seen its ACK)
        Connection second = new Connection("second");
        applier.offer(write(1, 10, older, second));
        await("the resent seq 1 is acknowledged to its sender", () -> second.acks.contains(1L));

        byte[] block10 = new byte[BS];
        newer.duplicate().get(block10);
        byte[] block11 = new byte[BS];
        older.duplicate().position(BS).get(block11);
        assertArrayEquals(block10, readBlocks(10, 1), "block 10 went back to the older write");
        assertArrayEquals(block11, readBlocks(11, 1));
        assertEquals(2, applier.writesApplied());
        assertEquals(List.of(), second.naks);
    }

    @Test
    void aResentWriteStillWaitingForItsTurnIsAcknowledgedToTheNewConnection() throws Exception {
        Connection old = new Connection("old");
        applier.offer(write(1, 0, content(1, 1), old));
        await("seq 1 is applied", () -> applier.durableAppliedSeq() == 1);
        // seq 3 arrives on a connection that then dies; seq 2 was lost with another one
        applier.offer(write(3, 3, content(3, 1), old));

        // the next session resends both; seq 3 is still held, waiting for seq 2
        Connection fresh = new Connection("fresh");
        applier.offer(write(3, 3, content(3, 1), fresh));
        applier.offer(write(2, 2, content(2, 1), fresh));
        await("seq 3 is applied", () -> applier.durableAppliedSeq() == 3);
        await("the new connection hears that seq 3 is applied", () -> fresh.acks.contains(3L));
        assertArrayEquals(content(3, 1).array(), readBlocks(3, 1));
    }

    /** A connection that also notes which thread sent each ACK. */
    private final class ThreadNotingConnection extends Connection {
        final List<String> ackThreads = new CopyOnWriteArrayList<>();

        ThreadNotingConnection(String name) {
            super(name);
        }

        @Override
        public synchronized void ack(long seq) {
            ackThreads.add(Thread.currentThread().getName());
            super.ack(seq);
        }
    }

    @Test
    void aSmallBurstIsAppliedAndAcknowledgedOnTheThreadThatEndsIt() throws Exception {
        await("the applier thread is parked", applier::threadIsWaiting); // else it may take the burst
        ThreadNotingConnection c = new ThreadNotingConnection("c");
        for (long seq = 1; seq <= 3; seq++) {
            assertTrue(applier.offerInBurst(write(seq, seq, content(seq, 1), c)));
        }
        Thread.sleep(50);
        assertEquals(0, applier.durableAppliedSeq(), "the applier thread was woken in mid-burst");

        applier.endBurst();

        assertEquals(3, applier.durableAppliedSeq(), "applied before endBurst returned");
        assertEquals(List.of(3L), c.acks, "one cumulative ACK for the batch, flushed");
        assertEquals(List.of(Thread.currentThread().getName()), c.ackThreads);
        for (long seq = 1; seq <= 3; seq++) {
            assertArrayEquals(content(seq, 1).array(), readBlocks(seq, 1));
        }
    }

    @Test
    void aBurstTooLargeToApplyInlineIsAppliedInPartsByTheCallerAndTheApplierThread() throws Exception {
        await("the applier thread is parked", applier::threadIsWaiting); // else it may take the burst
        ThreadNotingConnection c = new ThreadNotingConnection("c");
        int count = 100; // more than one inline batch holds
        for (long seq = 1; seq <= count; seq++) {
            applier.offerInBurst(write(seq, seq % 200, content(seq, 1), c));
        }
        applier.endBurst();
        long inline = applier.durableAppliedSeq();
        assertTrue(inline > 0 && inline < count, "applied inline: up to seq " + inline);

        await("the rest is applied", () -> applier.durableAppliedSeq() == count);
        await("and acknowledged", () -> c.acks.contains((long) count));
        assertEquals(Thread.currentThread().getName(), c.ackThreads.get(0));
        assertEquals("remote-applier", c.ackThreads.get(c.ackThreads.size() - 1));
        assertEquals(List.of(), c.problems);
    }

    @Test
    void withInlineApplyOffTheApplierThreadAppliesEveryBurst() throws Exception {
        applier.close();
        applier = new Applier(volume, applied, 64L << 20, 0);
        applier.start();
        await("the applier thread is parked", applier::threadIsWaiting);
        ThreadNotingConnection c = new ThreadNotingConnection("c");
        applier.offerInBurst(write(1, 1, content(1, 1), c));
        applier.endBurst();
        await("seq 1 is acknowledged", () -> c.acks.contains(1L));
        assertEquals(List.of("remote-applier"), c.ackThreads);
    }

    @Test
    void writesOfABurstEndedWhileAnotherBatchIsAppliedAreTakenAfterIt() throws Exception {
        await("the applier thread is parked", applier::threadIsWaiting); // else it may take the burst
        Connection answers = new Connection("answers");
        List<String> endedDuringApply = new CopyOnWriteArrayList<>();
        // Another event loop's burst ends while this batch is still being applied (its ACK is
        // sent before the batch ends): it must not apply concurrently, nor be left waiting.
        WriteResponder first = new WriteResponder() {
            @Override
            public void ack(long seq) {
                answers.ack(seq);
                applier.offerInBurst(write(2, 2, content(2, 1), answers));
                applier.endBurst();
                endedDuringApply.add("durable " + applier.durableAppliedSeq());
            }

            @Override
            public void nak(long seq, Failure failure, String message) {
                answers.nak(seq, failure, message);
            }

            @Override
            public void flush() {
                answers.flush();
            }
        };
        applier.offerInBurst(write(1, 1, content(1, 1), first));
        applier.endBurst();

        assertEquals(List.of("durable 1"), endedDuringApply, "seq 2 was applied inside seq 1's batch");
        await("seq 2 is applied after it", () -> applier.durableAppliedSeq() == 2);
        await("and acknowledged", () -> answers.acks.contains(2L));
        assertArrayEquals(content(2, 1).array(), readBlocks(2, 1));
    }

    @Test
    void aResendThatTheNakBringsAtOnceIsApplied() throws Exception {
        ByteBuffer good = content(1, 1);
        ByteBuffer corrupted = content(1, 1);
        corrupted.put(7, (byte) (corrupted.get(7) ^ 0x01));
        Connection answers = new Connection("answers");
        // A peer as fast as can be: it resends from inside the NAK, on the applier's own thread.
        WriteResponder eager = new WriteResponder() {
            @Override
            public void ack(long seq) {
                answers.ack(seq);
            }

            @Override
            public void nak(long seq, Failure failure, String message) {
                answers.nak(seq, failure, message);
                if (answers.naks.size() == 1) {
                    applier.offer(write(1, 3, good, this));
                }
            }

            @Override
            public void flush() {
                answers.flush();
            }
        };
        applier.offer(new IncomingWrite(1, false, 3, 1, crc(good), Unpooled.copiedBuffer(corrupted), eager));
        await("the resend is applied", () -> applier.durableAppliedSeq() == 1);
        await("the resend is acknowledged", () -> answers.acks.contains(1L));
        assertEquals(1, answers.naks.size(), answers.naks.toString());
        assertTrue(answers.naks.get(0).startsWith("1 CRC_MISMATCH data CRC32C"), answers.naks.get(0));
        assertArrayEquals(good.array(), readBlocks(3, 1));
        assertEquals(List.of(), answers.problems);
    }

    @Test
    void crcMismatchIsNakedAndTheResendIsApplied() throws Exception {
        Connection c = new Connection("c");
        ByteBuffer good1 = content(1, 1);
        ByteBuffer good2 = content(2, 1);
        ByteBuffer good3 = content(3, 1);
        ByteBuffer corrupted = content(2, 1);
        corrupted.put(100, (byte) (corrupted.get(100) ^ 0x40));
        // 2 and 3 wait for 1, so all three are applied as one batch
        applier.offer(new IncomingWrite(2, false, 5, 1, crc(good2), Unpooled.copiedBuffer(corrupted), c));
        applier.offer(write(3, 6, good3, c));
        applier.offer(write(1, 4, good1, c));
        await("seq 2 is NAKed", () -> !c.naks.isEmpty());
        await("seq 1 is applied", () -> applier.durableAppliedSeq() == 1);
        Thread.sleep(100);
        assertEquals(1, c.naks.size(), c.naks.toString());
        assertTrue(c.naks.get(0).startsWith("2 CRC_MISMATCH data CRC32C"), c.naks.get(0));
        assertEquals(1, applier.durableAppliedSeq(), "nothing after the bad write may be applied");
        assertEquals(List.of(1L), c.acks);
        assertArrayEquals(new byte[BS], readBlocks(5, 1), "corrupted data reached the volume");
        assertArrayEquals(new byte[BS], readBlocks(6, 1), "a write after the bad one was applied out of order");

        // the local unit resends from seq 2
        Connection resend = new Connection("resend");
        applier.offer(write(2, 5, good2, resend));
        applier.offer(write(3, 6, good3, resend));
        await("the resend is applied", () -> applier.durableAppliedSeq() == 3);
        await("the resend is acknowledged", () -> resend.acks.contains(3L));
        assertArrayEquals(good2.array(), readBlocks(5, 1));
        assertArrayEquals(good3.array(), readBlocks(6, 1));
        assertEquals(List.of(), resend.naks);
        assertEquals(1, applier.failures());
    }

    @Test
    void writeBeyondTheVolumeIsNakedOutOfRange() throws Exception {
        Connection c = new Connection("c");
        applier.offer(write(1, BLOCKS - 1, content(1, 2), c));
        await("seq 1 is NAKed", () -> !c.naks.isEmpty());
        assertEquals("1 OUT_OF_RANGE blocks 255+2 are beyond the volume (256 blocks)", c.naks.get(0));
        assertEquals(0, applier.durableAppliedSeq());
        applier.offer(trim(1, BLOCKS, 1, c));
        await("the trim is NAKed", () -> c.naks.size() == 2);
        assertEquals("1 OUT_OF_RANGE blocks 256+1 are beyond the volume (256 blocks)", c.naks.get(1));
        assertEquals(List.of(), c.acks);

        // a corrected resend is accepted
        applier.offer(write(1, BLOCKS - 2, content(1, 2), c));
        await("the corrected write is applied", () -> applier.durableAppliedSeq() == 1);
        await("and acknowledged", () -> c.acks.contains(1L));
        assertArrayEquals(content(1, 2).array(), readBlocks(BLOCKS - 2, 2));
    }
}
