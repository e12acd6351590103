package org.blockmirror.local;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.blockmirror.protocol.Read;
import org.blockmirror.protocol.ReadData;
import org.blockmirror.protocol.ReadStatus;
import org.junit.jupiter.api.Test;

/**
 * Reads through the peer as the local unit sends them (on a channel standing in for a session's
 * connection): splitting, and every way an answer is refused — never other data.
 */
class PeerReadClientTest {

    private static final int BLOCK = 512;

    private final EmbeddedChannel channel = new EmbeddedChannel();

    private PeerReadClient client(EmbeddedChannel ch) {
        return new PeerReadClient(hint -> ch, BLOCK, 2 * BLOCK, 1000);
    }

    private Read sent() {
        Object o = channel.readOutbound();
        return assertInstanceOf(Read.class, o);
    }

    private static String failure(CompletableFuture<ByteBuffer> f) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(5, TimeUnit.SECONDS));
        return assertInstanceOf(PeerReadClient.PeerReadException.class, e.getCause()).getMessage();
    }

    @Test
    void aLargeReadTravelsAsSeveralReadsAndIsReassembled() throws Exception {
        PeerReadClient c = client(channel);
        CompletableFuture<ByteBuffer> f = c.read(10, 3, 42);
        Read first = sent();
        Read second = sent();
        assertEquals(List.of(10L, 2, 42L, 12L, 1, 42L), List.of(first.lba(), first.blockCount(), first.seeSeq(),
                second.lba(), second.blockCount(), second.seeSeq()));
        byte[] a = new byte[2 * BLOCK];
        byte[] b = new byte[BLOCK];
        java.util.Arrays.fill(a, (byte) 1);
        java.util.Arrays.fill(b, (byte) 2);
        ReadData second2 = ReadData.ok(second.requestId(), 42, Unpooled.wrappedBuffer(b));
        c.onReadData(second2);
        second2.release();
        ReadData first2 = ReadData.ok(first.requestId(), 42, Unpooled.wrappedBuffer(a));
        c.onReadData(first2);
        first2.release();
        ByteBuffer got = f.get(5, TimeUnit.SECONDS);
        byte[] all = new byte[3 * BLOCK];
        got.get(all);
        byte[] expected = new byte[3 * BLOCK];
        java.util.Arrays.fill(expected, 0, 2 * BLOCK, (byte) 1);
        java.util.Arrays.fill(expected, 2 * BLOCK, 3 * BLOCK, (byte) 2);
        assertArrayEquals(expected, all);
        assertEquals(3, c.blocksRead());
    }

    @Test
    void everyRefusalFailsTheReadWithItsReason() throws Exception {
        PeerReadClient c = client(channel);

        CompletableFuture<ByteBuffer> notInSync = c.read(0, 1, 9);
        c.onReadData(ReadData.failed(sent().requestId(), ReadStatus.NOT_IN_SYNC, 7));
        assertEquals("the remote copy is not in sync: it has applied seq 7 and did not catch up within 1000 ms",
                failure(notInSync));

        CompletableFuture<ByteBuffer> refused = c.read(5, 1, 9);
        c.onReadData(ReadData.failed(sent().requestId(), ReadStatus.IO_ERROR, 9));
        assertEquals("the remote refused the read of 1 blocks at 5: IO_ERROR", failure(refused));

        CompletableFuture<ByteBuffer> damaged = c.read(6, 1, 9);
        ReadData bad = new ReadData(sent().requestId(), ReadStatus.OK, 9, 0x1234, Unpooled.wrappedBuffer(new byte[BLOCK]));
        c.onReadData(bad);
        bad.release();
        assertEquals("the remote's data for 1 blocks at 6 does not match its CRC32C (damaged on the way)",
                failure(damaged));

        CompletableFuture<ByteBuffer> shortAnswer = c.read(7, 2, 9);
        ReadData one = ReadData.ok(sent().requestId(), 9, Unpooled.wrappedBuffer(new byte[BLOCK]));
        c.onReadData(one);
        one.release();
        assertEquals("the remote answered the read of 2 blocks at 7 with 512 bytes, 1024 expected", failure(shortAnswer));

        CompletableFuture<ByteBuffer> closed = c.read(8, 1, 9);
        sent();
        channel.close();
        assertEquals("the connection to the remote closed", failure(closed));

        assertEquals("no session with the remote", failure(new PeerReadClient(hint -> null, BLOCK, BLOCK, 10)
                .read(0, 1, 0)));
    }

    @Test
    void noAnswerTimesOut() {
        PeerReadClient c = new PeerReadClient(hint -> channel, BLOCK, BLOCK, 0);
        assertEquals("no answer from the remote within 2000 ms", failure(c.read(0, 1, 0)));
    }
}
