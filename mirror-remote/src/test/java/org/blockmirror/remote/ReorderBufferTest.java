package org.blockmirror.remote;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ReorderBufferTest {

    @Test
    void releasesInSequenceWhateverTheArrivalOrder() {
        Random random = new Random(42);
        for (int round = 0; round < 200; round++) {
            List<Long> seqs = new ArrayList<>();
            for (long s = 1; s <= 100; s++) {
                seqs.add(s);
            }
            Collections.shuffle(seqs, random);
            ReorderBuffer<Long> buf = new ReorderBuffer<>(1 << 20, 1);
            List<Long> out = new ArrayList<>();
            for (long s : seqs) {
                assertEquals(ReorderBuffer.Offer.ACCEPTED, buf.offer(s, s, 100));
                for (Long next = buf.pollNext(); next != null; next = buf.pollNext()) {
                    out.add(next);
                }
            }
            assertEquals(100, out.size());
            for (int i = 0; i < out.size(); i++) {
                assertEquals(i + 1, out.get(i));
            }
            assertEquals(0, buf.heldBytes());
        }
    }

    @Test
    void duplicatesAndOverflowAreReported() {
        ReorderBuffer<String> buf = new ReorderBuffer<>(250, 5);
        assertEquals(ReorderBuffer.Offer.DUPLICATE, buf.offer(4, "old", 100));
        assertEquals(ReorderBuffer.Offer.ACCEPTED, buf.offer(7, "a", 100));
        assertEquals(ReorderBuffer.Offer.ALREADY_BUFFERED, buf.offer(7, "a", 100));
        assertEquals(ReorderBuffer.Offer.ACCEPTED, buf.offer(6, "b", 100));
        assertEquals(ReorderBuffer.Offer.OVERFLOW, buf.offer(8, "c", 100));
        // the awaited record is always accepted, so progress is always possible
        assertEquals(ReorderBuffer.Offer.ACCEPTED, buf.offer(5, "d", 100));
        assertEquals("d", buf.pollNext());
        assertEquals("b", buf.pollNext());
        assertEquals("a", buf.pollNext());
        assertNull(buf.pollNext());
        assertEquals(8, buf.nextSeq());
    }

    @Test
    void aHeldRecordCanBeReplacedByItsResend() {
        ReorderBuffer<String> buf = new ReorderBuffer<>(1000, 1);
        assertEquals(ReorderBuffer.Offer.ACCEPTED, buf.offer(2, "first", 10));
        assertEquals(ReorderBuffer.Offer.ALREADY_BUFFERED, buf.offer(2, "resend", 10));
        assertEquals("first", buf.replace(2, "resend", 10));
        assertEquals(10, buf.heldBytes());
        buf.offer(1, "one", 10);
        assertEquals("one", buf.pollNext());
        assertEquals("resend", buf.pollNext());
        assertEquals(0, buf.heldBytes());
    }

    @Test
    void rewindLetsAFailedRecordBeOfferedAgain() {
        ReorderBuffer<String> buf = new ReorderBuffer<>(1000, 1);
        buf.offer(1, "x", 10);
        assertEquals("x", buf.pollNext());
        buf.rewindTo(1);
        assertEquals(ReorderBuffer.Offer.ACCEPTED, buf.offer(1, "x again", 10));
        List<String> dropped = new ArrayList<>();
        buf.offer(3, "later", 10);
        buf.clear(dropped::add);
        assertEquals(List.of("x again", "later"), dropped);
    }
}
