package org.blockmirror.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.blockmirror.time.FakeClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JournalFullTest {
    private static final int BLOCK = 512;
    private static final int DATA = 8 * BLOCK;
    private static final long REGION = 32 * 1024;

    @TempDir
    Path dir;

    private final FakeClock clock = new FakeClock();

    private JournalOptions options() {
        return JournalOptions.of(BLOCK).withMaxRecordDataBytes(DATA);
    }

    private static long appendFull(Journal j, long deadline) throws Exception {
        return j.append(RecordType.WRITE, 0, 1, ByteBuffer.allocate(BLOCK), deadline);
    }

    /** Appends and syncs 1024-byte records until the journal refuses one; returns the exception. */
    private static JournalFullException fill(Journal j, FakeClock clock) throws Exception {
        while (true) {
            try {
                appendFull(j, clock.nanos());
                j.sync();
            } catch (JournalFullException e) {
                return e;
            }
        }
    }

    @Test
    void fullJournalFailsAtTheDeadlineWithAClearMessage() throws Exception {
        Path p = dir.resolve("j");
        try (Journal j = Journal.format(p, Journal.REGION_OFFSET + REGION, options(), clock)) {
            assertFalse(j.stats().full());
            JournalFullException e = fill(j, clock);
            long records = j.durableSeq();
            assertEquals(REGION / (512 + BLOCK), records, "the region held as many records as fit");
            String m = e.getMessage();
            assertTrue(m.contains(p.toString()) && m.contains("is full") && m.contains("capacity " + REGION)
                    && m.contains("used " + records * (512 + BLOCK)) && m.contains("oldest unacknowledged seq 1"), m);
            assertTrue(j.stats().full(), "the alert flag is raised");
            assertEquals(records + 1, j.nextSeq(), "nothing was appended");

            // A waiting append gives up when the injected clock passes its deadline.
            CompletableFuture<Long> waiting = CompletableFuture.supplyAsync(() -> {
                try {
                    return appendFull(j, clock.nanos() + TimeUnit.SECONDS.toNanos(5));
                } catch (Exception ex) {
                    throw new RuntimeException(ex);
                }
            });
            Thread.sleep(100);
            assertFalse(waiting.isDone(), "it waits for space");
            clock.advance(6, TimeUnit.SECONDS);
            ExecutionException failed = assertThrows(ExecutionException.class, () -> waiting.get(10, TimeUnit.SECONDS));
            assertInstanceOf(JournalFullException.class, failed.getCause().getCause());
            assertTrue(j.stats().full());

            j.release(1);
            assertTrue(j.stats().full(), "still above 90%");
            j.release(records);
            assertFalse(j.stats().full(), "cleared once usage dropped below 90%");
        }
    }

    @Test
    void releaseFromAnotherThreadUnblocksAWaitingAppend() throws Exception {
        try (Journal j = Journal.format(dir.resolve("j"), Journal.REGION_OFFSET + REGION, options(), clock)) {
            fill(j, clock);
            long records = j.durableSeq();
            CompletableFuture<Long> waiting = CompletableFuture.supplyAsync(() -> {
                try {
                    return appendFull(j, clock.nanos() + TimeUnit.SECONDS.toNanos(30));
                } catch (Exception ex) {
                    throw new RuntimeException(ex);
                }
            });
            Thread.sleep(100);
            assertFalse(waiting.isDone());
            assertTrue(j.stats().full(), "full while an append waits");
            Thread releaser = new Thread(() -> j.release(2));
            releaser.start();
            releaser.join();
            assertEquals(records + 1, waiting.get(10, TimeUnit.SECONDS));
            j.sync();
            assertEquals(3, j.stats().persistedTailSeq(), "the appender persisted the tail before reusing space");
            assertTrue(j.stats().full(), "usage is still above 90%");
            j.release(records);
            assertFalse(j.stats().full());
        }
    }

    @Test
    void appenderPersistsAReleasedTailInsteadOfWaiting() throws Exception {
        JournalOptions lazy = options().withCheckpointPolicy(1.0, 1, TimeUnit.HOURS);
        try (Journal j = Journal.format(dir.resolve("j"), Journal.REGION_OFFSET + REGION, lazy, clock)) {
            fill(j, clock);
            long records = j.durableSeq();
            j.release(records);
            assertEquals(1, j.stats().persistedTailSeq());
            assertEquals(records + 1, appendFull(j, clock.nanos()), "no wait: the released space is checkpointed");
            assertEquals(records + 1, j.stats().persistedTailSeq());
            assertFalse(j.stats().full());
        }
    }
}
