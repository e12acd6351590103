package org.blockmirror.tcmu;

import static org.blockmirror.tcmu.TcmuAbi.*;
import static org.junit.jupiter.api.Assertions.*;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import org.blockmirror.scsi.ScsiCommandHandler;
import org.blockmirror.scsi.ScsiResponse;
import org.blockmirror.tcmu.SimulatedTcmuKernel.Completion;
import org.junit.jupiter.api.Test;

class TcmuRingTest {
    private static final int OOOC = FLAG_CAP_OOOC;

    private static byte[] pattern(int length, int seed) {
        byte[] b = new byte[length];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static TcmuRing attach(SimulatedTcmuKernel kernel, ScsiCommandHandler handler) {
        return TcmuRing.attach("test", kernel.memory, handler, kernel);
    }

    @Test
    void writeThenReadRoundTripsThroughTheRing() {
        SimulatedTcmuKernel kernel = new SimulatedTcmuKernel(OOOC, 4096, 64);
        RamDisk disk = new RamDisk(256);
        TcmuRing ring = attach(kernel, disk);
        byte[] written = pattern(16 * 512, 1); // 8 KiB: two iovecs

        int writeId = kernel.submit(RamDisk.write10(10, 16), written, 0);
        assertEquals(1, ring.processNewEntries());
        List<Completion> done = kernel.reap();
        assertEquals(1, done.size());
        assertEquals(writeId, done.get(0).cmdId());
        assertEquals(ScsiResponse.GOOD, done.get(0).status());
        assertArrayEquals(written, Arrays.copyOfRange(disk.data, 10 * 512, 26 * 512));

        int readId = kernel.submit(RamDisk.read10(10, 16), null, 16 * 512);
        ring.processNewEntries();
        done = kernel.reap();
        assertEquals(readId, done.get(0).cmdId());
        assertArrayEquals(written, done.get(0).dataIn());
        assertEquals(kernel.head(), kernel.tail());
        assertEquals(0, ring.inFlight());
        assertTrue(kernel.kicks() >= 2, "kernel notified after completions");
    }

    @Test
    void commandsOfOnePassRunInOneBatchAndTheirCompletionsKickOnce() {
        SimulatedTcmuKernel kernel = new SimulatedTcmuKernel(OOOC, 4096, 64);
        RamDisk disk = new RamDisk(256);
        List<Runnable> heldBack = new ArrayList<>();
        int[] batches = {0};
        // Like the write pipeline with an idle stage: nothing is done until the batch closes,
        // then everything completes on the ring's own thread.
        ScsiCommandHandler batching = new ScsiCommandHandler() {
            @Override
            public CompletableFuture<ScsiResponse> execute(org.blockmirror.scsi.ScsiRequest request) {
                CompletableFuture<ScsiResponse> answer = new CompletableFuture<>();
                heldBack.add(() -> disk.execute(request).thenAccept(answer::complete));
                return answer;
            }

            @Override
            public org.blockmirror.block.SubmissionBatch beginBatch() {
                batches[0]++;
                return () -> {
                    heldBack.forEach(Runnable::run);
                    heldBack.clear();
                };
            }
        };
        TcmuRing ring = attach(kernel, batching);
        List<Integer> ids = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            ids.add(kernel.submit(RamDisk.write10(8L * i, 8), pattern(8 * 512, i), 0));
        }
        assertEquals(5, ring.processNewEntries());
        assertEquals(1, batches[0], "one batch per pass over the ring");
        assertEquals(1, kernel.kicks(), "five completions, one kick");
        List<Completion> done = kernel.reap();
        assertEquals(ids, done.stream().map(Completion::cmdId).toList());
        for (int i = 0; i < 5; i++) {
            assertArrayEquals(pattern(8 * 512, i), Arrays.copyOfRange(disk.data, 8 * 512 * i, 8 * 512 * (i + 1)));
        }
        assertEquals(0, ring.inFlight());
        assertEquals(0, ring.processNewEntries());
        assertEquals(1, batches[0], "no batch for an empty pass");
    }

    @Test
    void dataOutInOneIovecIsLentFromTheRingAndInSeveralIsGathered() {
        SimulatedTcmuKernel kernel = new SimulatedTcmuKernel(OOOC, 4096, 64);
        RamDisk disk = new RamDisk(256);
        List<ByteBuffer> seen = new ArrayList<>();
        TcmuRing ring = attach(kernel, request -> {
            seen.add(request.dataOut());
            return disk.execute(request);
        });
        kernel.submit(RamDisk.write10(0, 8), pattern(8 * 512, 1), 0);   // 4 KiB: one data block
        kernel.submit(RamDisk.write10(8, 16), pattern(16 * 512, 2), 0);  // 8 KiB: two iovecs
        assertEquals(2, ring.processNewEntries());
        assertEquals(2, kernel.reap().size());
        assertTrue(seen.get(0).isDirect() && seen.get(0).isReadOnly(), "one iovec: a read-only view of the ring");
        assertFalse(seen.get(1).isReadOnly(), "several iovecs: gathered into a buffer of our own");
        assertArrayEquals(pattern(8 * 512, 1), Arrays.copyOfRange(disk.data, 0, 8 * 512));
        assertArrayEquals(pattern(16 * 512, 2), Arrays.copyOfRange(disk.data, 8 * 512, 24 * 512));
    }

    @Test
    void shortDataInIsZeroPaddedAndReportedWithReadLen() {
        SimulatedTcmuKernel kernel = new SimulatedTcmuKernel(OOOC | FLAG_CAP_READ_LEN, 4096, 16);
        TcmuRing ring = attach(kernel, new RamDisk(16));

        kernel.submit(RamDisk.inquiry(255), null, 255);
        ring.processNewEntries();
        Completion c = kernel.reap().get(0);

        assertEquals(ScsiResponse.GOOD, c.status());
        assertEquals(UFLAG_READ_LEN, c.uflags() & UFLAG_READ_LEN);
        assertEquals(36, c.readLen());
        assertEquals(0x06, c.dataIn()[2]);
        byte[] rest = Arrays.copyOfRange(c.dataIn(), 36, 255);
        assertArrayEquals(new byte[219], rest, "stale data-area bytes must not reach the initiator");
    }

    @Test
    void readLenIsNotUsedWhenTheKernelDoesNotOfferIt() {
        SimulatedTcmuKernel kernel = new SimulatedTcmuKernel(OOOC, 4096, 16);
        TcmuRing ring = attach(kernel, new RamDisk(16));
        kernel.submit(RamDisk.inquiry(255), null, 255);
        ring.processNewEntries();
        Completion c = kernel.reap().get(0);
        assertEquals(0, c.uflags());
        assertEquals(0, c.readLen());
    }

    @Test
    void wrapAroundSkipsPadEntries() {
        SimulatedTcmuKernel kernel = new SimulatedTcmuKernel(OOOC, 1000, 32);
        RamDisk disk = new RamDisk(64);
        TcmuRing ring = attach(kernel, disk);
        for (int i = 0; i < 40; i++) {
            byte[] block = pattern(512, 100 + i);
            int id = kernel.submit(RamDisk.write10(i, 1), block, 0);
            assertTrue(id > 0);
            ring.processNewEntries();
            assertEquals(id, kernel.reap().get(0).cmdId());
            int readId = kernel.submit(RamDisk.read10(i, 1), null, 512);
            ring.processNewEntries();
            Completion read = kernel.reap().get(0);
            assertEquals(readId, read.cmdId());
            assertArrayEquals(block, read.dataIn(), "round " + i);
        }
        assertTrue(kernel.padsWritten >= 5, "the ring wrapped several times: " + kernel.padsWritten);
        assertEquals(kernel.head(), kernel.tail());
    }

    @Test
    void outOfOrderCompletionAnswersEachCommandAsItFinishes() {
        SimulatedTcmuKernel kernel = new SimulatedTcmuKernel(OOOC, 4096, 64);
        RamDisk disk = new RamDisk(64);
        byte[] content = pattern(64 * 512, 7);
        System.arraycopy(content, 0, disk.data, 0, content.length);
        GatedHandler gate = new GatedHandler(disk);
        TcmuRing ring = attach(kernel, gate);

        int[] ids = new int[8];
        for (int i = 0; i < 8; i++) {
            ids[i] = kernel.submit(RamDisk.read10(i * 8L, 8), null, 8 * 512);
        }
        assertEquals(8, ring.processNewEntries());
        assertEquals(8, ring.inFlight());

        for (int i = 7; i >= 0; i--) {
            gate.release(i);
            List<Completion> done = kernel.reap();
            assertEquals(1, done.size(), "each completion is visible at once");
            assertEquals(ids[i], done.get(0).cmdId());
            assertArrayEquals(Arrays.copyOfRange(content, i * 8 * 512, (i + 1) * 8 * 512), done.get(0).dataIn());
        }
        assertEquals(0, ring.inFlight());
        assertEquals(kernel.head(), kernel.tail());
    }

    @Test
    void withoutOoocCompletionsAreHeldUntilEarlierCommandsFinish() {
        SimulatedTcmuKernel kernel = new SimulatedTcmuKernel(0, 4096, 64);
        RamDisk disk = new RamDisk(64);
        GatedHandler gate = new GatedHandler(disk);
        TcmuRing ring = attach(kernel, gate);
        int[] ids = new int[6];
        for (int i = 0; i < 6; i++) {
            ids[i] = kernel.submit(RamDisk.read10(i, 1), null, 512);
        }
        ring.processNewEntries();
        long tailBefore = kernel.tail();

        for (int i = 5; i >= 1; i--) {
            gate.release(i);
        }
        assertEquals(tailBefore, kernel.tail(), "nothing may be answered before the first command");
        assertTrue(kernel.reap().isEmpty());
        assertEquals(6, ring.inFlight());
        assertTrue(ring.describe().contains("cmd_tail=" + tailBefore + " read=" + kernel.head() + " unretired=6 awaiting=6"),
                ring.describe());

        gate.release(0);
        List<Completion> done = kernel.reap();
        assertEquals(6, done.size());
        for (int i = 0; i < 6; i++) {
            assertEquals(ids[i], done.get(i).cmdId(), "ring order");
            assertEquals(ScsiResponse.GOOD, done.get(i).status());
        }
        assertEquals(kernel.head(), kernel.tail());
    }

    @Test
    void tmrEntriesArePassedOverAndNeedNoAnswer() {
        SimulatedTcmuKernel kernel = new SimulatedTcmuKernel(OOOC | FLAG_CAP_TMR, 4096, 16);
        GatedHandler gate = new GatedHandler(new RamDisk(16));
        TcmuRing ring = attach(kernel, gate);

        kernel.submitTmr(5);
        assertEquals(0, ring.processNewEntries());
        assertEquals(kernel.head(), kernel.tail(), "a TMR with nothing before it is retired at once");
        assertEquals(1, kernel.kicks());

        int a = kernel.submit(RamDisk.read10(0, 1), null, 512);
        kernel.submitTmr(1, a);
        int b = kernel.submit(RamDisk.read10(1, 1), null, 512);
        assertEquals(2, ring.processNewEntries());
        gate.release(1);
        gate.release(0);
        List<Completion> done = kernel.reap();
        assertEquals(List.of(b, a), done.stream().map(Completion::cmdId).toList());
        assertEquals(kernel.head(), kernel.tail());
    }

    @Test
    void unknownOpcodeIsFlaggedAndPassedOver() {
        SimulatedTcmuKernel kernel = new SimulatedTcmuKernel(OOOC, 4096, 16);
        TcmuRing ring = attach(kernel, new RamDisk(16));
        long entry = kernel.submitRaw(16 | 5, 16);
        int id = kernel.submit(RamDisk.read10(0, 1), null, 512);

        assertEquals(1, ring.processNewEntries());
        assertEquals(UFLAG_UNKNOWN_OP, kernel.memory.getU8(entry + HDR_UFLAGS) & UFLAG_UNKNOWN_OP);
        assertEquals(kernel.head(), kernel.tail());
        // The kernel's reaper would skip op 5 as it does PAD/TMR; read the CMD answer directly.
        long cmdEntry = entry + 16;
        assertEquals(id, kernel.memory.getU16(cmdEntry + HDR_CMD_ID));
        assertEquals(ScsiResponse.GOOD, kernel.memory.getU8(cmdEntry + RSP_SCSI_STATUS));
    }

    @Test
    void senseDataIsCopiedAndTheRestOfTheBufferCleared() {
        SimulatedTcmuKernel kernel = new SimulatedTcmuKernel(OOOC, 4096, 16);
        TcmuRing ring = attach(kernel, new RamDisk(16));
        kernel.submit(RamDisk.read10(1000, 1), null, 512);
        ring.processNewEntries();
        Completion c = kernel.reap().get(0);
        assertEquals(ScsiResponse.CHECK_CONDITION, c.status());
        byte[] expected = Arrays.copyOf(RamDisk.sense(0x05, 0x21, 0x00), SENSE_BUFFER_SIZE);
        assertArrayEquals(expected, c.sense());
    }

    @Test
    void oversizedSenseIsTruncatedToTheSenseBuffer() {
        SimulatedTcmuKernel kernel = new SimulatedTcmuKernel(OOOC, 4096, 16);
        byte[] huge = pattern(200, 3);
        long sentinelAt = SimulatedTcmuKernel.CMDR_OFF + 2048;
        kernel.memory.putU64(sentinelAt, 0x1122334455667788L);
        TcmuRing ring = attach(kernel, r -> CompletableFuture.completedFuture(ScsiResponse.checkCondition(huge)));
        kernel.submit(new byte[] {0, 0, 0, 0, 0, 0}, null, 0);
        ring.processNewEntries();
        Completion c = kernel.reap().get(0);
        assertArrayEquals(Arrays.copyOf(huge, SENSE_BUFFER_SIZE), c.sense());
        assertEquals(0x1122334455667788L, kernel.memory.getU64(sentinelAt));
    }

    @Test
    void dataInLargerThanTheIovecsIsTruncatedNeverOverflowing() {
        SimulatedTcmuKernel kernel = new SimulatedTcmuKernel(OOOC, 4096, 4);
        byte[] tooMuch = pattern(3 * 4096, 5);
        TcmuRing ring = attach(kernel, r -> CompletableFuture.completedFuture(
                ScsiResponse.good(ByteBuffer.wrap(tooMuch))));
        // Allocate data blocks 0..1 to the read, and watch block 2 (the next command's memory).
        int id = kernel.submit(RamDisk.read10(0, 10), null, 5000);
        long block2 = kernel.dataOff + 2L * SimulatedTcmuKernel.BLOCK;
        ring.processNewEntries();
        Completion c = kernel.reap().get(0);
        assertEquals(id, c.cmdId());
        assertArrayEquals(Arrays.copyOf(tooMuch, 5000), c.dataIn());
        for (int i = 0; i < SimulatedTcmuKernel.BLOCK; i++) {
            assertEquals(0xEE, kernel.memory.getU8(block2 + i), "byte " + i + " after the iovecs");
        }
    }

    @Test
    void aFailingHandlerIsAnsweredWithInternalTargetFailure() {
        SimulatedTcmuKernel kernel = new SimulatedTcmuKernel(OOOC, 4096, 16);
        GatedHandler gate = new GatedHandler(new RamDisk(16));
        TcmuRing ring = attach(kernel, gate);
        kernel.submit(RamDisk.read10(0, 1), null, 512);
        ring.processNewEntries();
        gate.fail(0, new IllegalStateException("boom"));
        Completion c = kernel.reap().get(0);
        assertEquals(ScsiResponse.CHECK_CONDITION, c.status());
        assertEquals(0x04, c.sense()[2]);
        assertEquals(0x44, c.sense()[12]);
    }

    @Test
    void manyCommandsInFlightCompletingOnManyThreads() throws Exception {
        SimulatedTcmuKernel kernel = new SimulatedTcmuKernel(OOOC, 8000, 128);
        RamDisk disk = new RamDisk(1024);
        Random random = new Random(42);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        // Answers each command on a pool thread, after a small random delay.
        ScsiCommandHandler async = request -> CompletableFuture.supplyAsync(() -> {
            sleepQuietly(random.nextInt(3));
            return disk.executeNow(request);
        }, pool);
        TcmuRing ring = attach(kernel, async);
        try {
            List<Integer> order = new ArrayList<>();
            // Phase 1 writes 200 distinct blocks, phase 2 reads them back; the ring wraps often.
            for (boolean write : new boolean[] {true, false}) {
                Map<Integer, byte[]> expected = new HashMap<>();
                int submitted = 0;
                int completed = 0;
                while (completed < 200) {
                    while (submitted < 200) {
                        byte[] block = pattern(512, submitted);
                        int id = write ? kernel.submit(RamDisk.write10(submitted, 1), block, 0)
                                : kernel.submit(RamDisk.read10(submitted, 1), null, 512);
                        if (id < 0) {
                            break; // ring or data area full: wait for completions
                        }
                        expected.put(id, block);
                        submitted++;
                    }
                    ring.processNewEntries();
                    Thread.sleep(1);
                    for (Completion c : kernel.reap()) {
                        assertEquals(ScsiResponse.GOOD, c.status(), "cmd " + c.cmdId());
                        byte[] want = expected.remove(c.cmdId());
                        assertNotNull(want, "cmd " + c.cmdId() + " answered once");
                        if (!write) {
                            assertArrayEquals(want, c.dataIn(), "cmd " + c.cmdId());
                        }
                        order.add(c.cmdId());
                        completed++;
                    }
                }
                assertTrue(expected.isEmpty());
            }
            assertNotEquals(order.stream().sorted().toList(), order, "completions did come out of order");
            assertTrue(kernel.padsWritten > 0, "the ring wrapped");
            assertEquals(kernel.head(), kernel.tail());
            assertEquals(0, ring.inFlight());
        } finally {
            pool.shutdownNow();
            assertTrue(pool.awaitTermination(5, TimeUnit.SECONDS));
        }
    }

    private static void sleepQuietly(int millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---- malformed rings -----------------------------------------------------------------

    private static void assertRingStops(SimulatedTcmuKernel kernel, TcmuRing ring, String messagePart) {
        long tail = kernel.tail();
        TcmuRingException e = assertThrows(TcmuRingException.class, ring::processNewEntries);
        assertTrue(e.getMessage().contains(messagePart), e.getMessage());
        assertSame(e, ring.failure());
        assertSame(e, assertThrows(TcmuRingException.class, ring::processNewEntries), "stays stopped");
        assertEquals(tail, kernel.tail(), "tail must not move past a malformed entry");
    }

    @Test
    void zeroLengthEntryStopsTheRing() {
        SimulatedTcmuKernel kernel = new SimulatedTcmuKernel(OOOC, 4096, 16);
        TcmuRing ring = attach(kernel, new RamDisk(16));
        kernel.submitRaw(OP_CMD, 128);
        assertRingStops(kernel, ring, "has length 0");
    }

    @Test
    void entryBeyondTheRingStopsTheRing() {
        SimulatedTcmuKernel kernel = new SimulatedTcmuKernel(OOOC, 4096, 16);
        TcmuRing ring = attach(kernel, new RamDisk(16));
        kernel.submitRaw(8192 | OP_CMD, 128);
        assertRingStops(kernel, ring, "runs past the end of the ring");
    }

    @Test
    void entryOverlappingCmdHeadStopsTheRing() {
        SimulatedTcmuKernel kernel = new SimulatedTcmuKernel(OOOC, 4096, 16);
        TcmuRing ring = attach(kernel, new RamDisk(16));
        kernel.submitRaw(256 | OP_PAD, 128);
        assertRingStops(kernel, ring, "runs past cmd_head");
    }

    @Test
    void iovecOutsideTheDataAreaStopsTheRing() {
        SimulatedTcmuKernel kernel = new SimulatedTcmuKernel(OOOC, 4096, 16);
        TcmuRing ring = attach(kernel, new RamDisk(16));
        long entry = kernel.nextEntryOffset();
        kernel.submit(RamDisk.read10(0, 1), null, 512);
        kernel.memory.putU64(entry + REQ_IOV + IOVEC_BASE, SimulatedTcmuKernel.CMDR_OFF); // into the ring
        assertRingStops(kernel, ring, "iovec 0");
    }

    @Test
    void hugeIovecLengthStopsTheRing() {
        SimulatedTcmuKernel kernel = new SimulatedTcmuKernel(OOOC, 4096, 16);
        TcmuRing ring = attach(kernel, new RamDisk(16));
        long entry = kernel.nextEntryOffset();
        kernel.submit(RamDisk.read10(0, 1), null, 512);
        kernel.memory.putU64(entry + REQ_IOV + IOVEC_LEN, -16L);
        assertRingStops(kernel, ring, "outside the data area");
    }

    @Test
    void tooManyIovecsForTheEntryStopsTheRing() {
        SimulatedTcmuKernel kernel = new SimulatedTcmuKernel(OOOC, 4096, 16);
        TcmuRing ring = attach(kernel, new RamDisk(16));
        long entry = kernel.nextEntryOffset();
        kernel.submit(RamDisk.read10(0, 1), null, 512);
        kernel.memory.putU32(entry + REQ_IOV_CNT, 0xffff_ffffL);
        assertRingStops(kernel, ring, "iovecs do not fit");
    }

    @Test
    void cdbOutsideTheMappingStopsTheRing() {
        SimulatedTcmuKernel kernel = new SimulatedTcmuKernel(OOOC, 4096, 16);
        TcmuRing ring = attach(kernel, new RamDisk(16));
        long entry = kernel.nextEntryOffset();
        kernel.submit(RamDisk.read10(0, 1), null, 512);
        kernel.memory.putU64(entry + REQ_CDB_OFF, kernel.memory.size() - 2);
        assertRingStops(kernel, ring, "runs past the mapping");
    }

    @Test
    void unalignedCmdHeadStopsTheRing() {
        SimulatedTcmuKernel kernel = new SimulatedTcmuKernel(OOOC, 4096, 16);
        TcmuRing ring = attach(kernel, new RamDisk(16));
        kernel.memory.putU32(MB_CMD_HEAD, 13);
        assertRingStops(kernel, ring, "cmd_head 13");
    }

    @Test
    void completionsAfterAFailureAreDropped() {
        SimulatedTcmuKernel kernel = new SimulatedTcmuKernel(OOOC, 4096, 16);
        GatedHandler gate = new GatedHandler(new RamDisk(16));
        TcmuRing ring = attach(kernel, gate);
        kernel.submit(RamDisk.read10(0, 1), null, 512);
        ring.processNewEntries();
        long tail = kernel.tail();
        kernel.submitRaw(OP_CMD, 128);
        assertThrows(TcmuRingException.class, ring::processNewEntries);
        gate.release(0);
        assertEquals(tail, kernel.tail());
    }

    @Test
    void closedRingWritesNothing() {
        SimulatedTcmuKernel kernel = new SimulatedTcmuKernel(OOOC, 4096, 16);
        GatedHandler gate = new GatedHandler(new RamDisk(16));
        TcmuRing ring = attach(kernel, gate);
        kernel.submit(RamDisk.read10(0, 1), null, 512);
        ring.processNewEntries();
        ring.close();
        gate.release(0);
        assertEquals(0, kernel.tail());
        assertEquals(0, ring.processNewEntries());
    }

    @Test
    void attachRejectsAnUnknownMailboxVersion() {
        SimulatedTcmuKernel kernel = new SimulatedTcmuKernel(OOOC, 4096, 16);
        kernel.memory.putU16(MB_VERSION, 1);
        TcmuRingException e = assertThrows(TcmuRingException.class, () -> attach(kernel, new RamDisk(1)));
        assertTrue(e.getMessage().contains("mailbox version 1, expected 2"), e.getMessage());
    }

    @Test
    void attachRejectsARingOutsideTheMapping() {
        SimulatedTcmuKernel kernel = new SimulatedTcmuKernel(OOOC, 4096, 16);
        kernel.memory.putU32(MB_CMDR_SIZE, 1 << 30);
        TcmuRingException e = assertThrows(TcmuRingException.class, () -> attach(kernel, new RamDisk(1)));
        assertTrue(e.getMessage().contains("bad ring geometry"), e.getMessage());
    }

    @Test
    void attachResumesAtTheTailAfterARestart() {
        SimulatedTcmuKernel kernel = new SimulatedTcmuKernel(OOOC, 4096, 16);
        GatedHandler gate = new GatedHandler(new RamDisk(16));
        TcmuRing first = attach(kernel, gate);
        int id = kernel.submit(RamDisk.read10(0, 1), null, 512);
        first.processNewEntries();
        first.close(); // the process dies with the command unanswered

        TcmuRing second = attach(kernel, new RamDisk(16));
        assertEquals(1, second.processNewEntries(), "the unanswered command is read again");
        List<Completion> done = kernel.reap();
        assertEquals(List.of(id), done.stream().map(Completion::cmdId).toList());
    }
}
