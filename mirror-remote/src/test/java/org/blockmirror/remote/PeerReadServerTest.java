package org.blockmirror.remote;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.blockmirror.protocol.Read;
import org.blockmirror.protocol.ReadData;
import org.blockmirror.protocol.ReadStatus;
import org.blockmirror.volume.FileVolume;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The remote's side of fail-over reads on a real volume and applied-seq file: an answer never
 * comes before the applied seq reaches the READ's seq to see; NOT_IN_SYNC, OUT_OF_RANGE and
 * TOO_LARGE otherwise.
 */
class PeerReadServerTest {

    private static final int BLOCK = 4096;

    @TempDir
    Path dir;

    private FileVolume volume;
    private AppliedSequence applied;
    private PeerReadServer server;

    @BeforeEach
    void open() throws Exception {
        volume = FileVolume.createFile(dir.resolve("vol"), 64 * BLOCK, BLOCK);
        applied = AppliedSequence.open(dir.resolve("applied-seq"));
        server = new PeerReadServer(volume, applied, 16 * BLOCK + ReadData.FIELDS_LENGTH);
    }

    @AfterEach
    void close() throws Exception {
        server.close();
        applied.close();
        volume.close();
    }

    private static byte[] bytes(ReadData d) {
        byte[] b = new byte[d.content().readableBytes()];
        d.content().getBytes(d.content().readerIndex(), b);
        return b;
    }

    @Test
    void answersOnceTheAppliedSeqReachesTheSeqToSee() throws Exception {
        byte[] data = new byte[2 * BLOCK];
        new java.util.Random(1).nextBytes(data);
        volume.write(3L * BLOCK, ByteBuffer.wrap(data));
        applied.persist(5);
        CompletableFuture<ReadData> answer = CompletableFuture.supplyAsync(() -> server.answer(new Read(9, 7, 3, 2, 10_000)));
        Thread.sleep(200);
        assertTrue(!answer.isDone(), "no answer while only seq 5 of 7 is applied");
        applied.persist(7);
        ReadData d = answer.get(5, TimeUnit.SECONDS);
        assertEquals(ReadStatus.OK, d.status());
        assertEquals(9, d.requestId());
        assertEquals(7, d.appliedSeq());
        assertTrue(d.dataCrcMatches());
        assertArrayEquals(data, bytes(d));
        d.release();
    }

    @Test
    void refusals() throws Exception {
        applied.persist(3);
        ReadData late = server.answer(new Read(1, 4, 0, 1, 100));
        assertEquals(ReadStatus.NOT_IN_SYNC, late.status());
        assertEquals(3, late.appliedSeq());
        assertEquals(ReadStatus.OUT_OF_RANGE, server.answer(new Read(2, 0, 63, 2, 0)).status());
        assertEquals(ReadStatus.OUT_OF_RANGE, server.answer(new Read(2, 0, Long.MAX_VALUE, 1, 0)).status());
        assertEquals(ReadStatus.TOO_LARGE, server.answer(new Read(3, 0, 0, 17, 0)).status());
        ReadData ok = server.answer(new Read(4, 0, 48, 16, 0));
        assertEquals(ReadStatus.OK, ok.status());
        ok.release();
        assertEquals(4, server.refused());
        assertEquals(1, server.served());
    }
}
