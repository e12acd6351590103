package org.blockmirror.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.blockmirror.protocol.Ack;
import org.blockmirror.protocol.Write;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * transport.send-coalesce-us: a record after an idle spell goes at once unless the last burst
 * left less than the window ago; then it waits for the window's end, and what was written
 * meanwhile goes with it. A real journal, write pipeline and replicator (async mode)
 * talk to a scripted remote on a plain socket.
 */
class ReplicatorCoalescingTest {

    private static final int BS = ReplicatorUnderTest.BS;
    private static final long TIMEOUT_MS = 10_000;
    private static final long WINDOW_MS = 1000;

    @TempDir
    Path dir;

    private ReplicatorUnderTest unit;
    private WritePipeline pipeline;
    private Replicator replicator;

    private void start(long coalesceMicros) throws IOException {
        unit = ReplicatorUnderTest.start(dir, AckMode.ASYNC, coalesceMicros, 0xC0A1L);
        pipeline = unit.pipeline;
        replicator = unit.replicator;
    }

    @AfterEach
    void stop() throws Exception {
        unit.close();
    }

    private static ByteBuffer block(int fill) {
        ByteBuffer b = ByteBuffer.allocate(BS);
        while (b.hasRemaining()) {
            b.put((byte) fill);
        }
        return b.flip();
    }

    private ScriptedRemote connect() throws IOException, InterruptedException {
        ScriptedRemote remote = unit.acceptRemote(TIMEOUT_MS);
        remote.handshake();
        // a write that is durable before the stream starts is replayed, not coalesced
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MS);
        while (replicator.phase() != Replicator.Phase.STREAMING) {
            assertTrue(System.nanoTime() < deadline, "the session does not stream: " + replicator.phase());
            Thread.sleep(5);
        }
        Thread.sleep(50); // and it waits for the next record
        return remote;
    }

    @Test
    void aSparseWriteGoesAtOnceAndWritesWithinTheWindowOfTheLastBurstTravelTogetherAtItsEnd() throws Exception {
        start(TimeUnit.MILLISECONDS.toMicros(WINDOW_MS));
        try (ScriptedRemote remote = connect()) {
            long firstSubmitted = System.nanoTime();
            pipeline.write(1, block(1)).get(TIMEOUT_MS, TimeUnit.MILLISECONDS); // the host does not wait
            Write first = assertInstanceOf(Write.class, remote.receive(), "the first write of a quiet stream");
            long firstArrived = System.nanoTime();
            assertEquals(1, first.seq());
            first.release();
            long firstMs = TimeUnit.NANOSECONDS.toMillis(firstArrived - firstSubmitted);
            assertTrue(firstMs < WINDOW_MS / 2, "seq 1 came after " + firstMs + " ms: it waited for a burst");

            pipeline.write(2, block(2)).get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
            Thread.sleep(WINDOW_MS / 5);
            pipeline.write(3, block(3)).get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
            Write second = assertInstanceOf(Write.class, remote.receive());
            long secondArrived = System.nanoTime();
            Write third = assertInstanceOf(Write.class, remote.receive());
            long thirdArrived = System.nanoTime();
            assertEquals(2, second.seq());
            assertEquals(3, third.seq());
            second.release();
            third.release();
            // seq 1's burst left after it was submitted: seq 2 may not leave before that plus the window
            long heldMs = TimeUnit.NANOSECONDS.toMillis(secondArrived - firstSubmitted);
            assertTrue(heldMs >= WINDOW_MS, "seq 2 came " + heldMs + " ms after seq 1 was written, within the window");
            long apartMs = TimeUnit.NANOSECONDS.toMillis(thirdArrived - secondArrived);
            assertTrue(apartMs < WINDOW_MS / 2, "seq 3 came " + apartMs + " ms after seq 2, not in its burst");

            remote.send(new Ack(3));
            awaitAcked(3);
        }
    }

    private void awaitAcked(long seq) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MS);
        while (replicator.ackedSeq() < seq) {
            assertTrue(System.nanoTime() < deadline, "seq " + seq + " was not taken as acknowledged");
            Thread.sleep(5);
        }
    }
}
