package org.blockmirror.remote;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32C;
import org.blockmirror.volume.FileVolume;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ApplierTest {

    private static final int BLOCK_SIZE = 4096;

    /** One connection's answers: the highest seq acknowledged on it. */
    private static final class Connection implements WriteResponder {
        final AtomicLong highestAck = new AtomicLong();

        @Override
        public void ack(long seq) {
            highestAck.accumulateAndGet(seq, Math::max);
        }

        @Override
        public void nak(long seq, Failure failure, String message) {
            throw new AssertionError("unexpected NAK for seq " + seq + ": " + message);
        }
    }

    @TempDir
    Path dir;

    /**
     * A session ends with a gap (seq 1 was lost with its connection, seq 2 arrived on another and
     * waits its turn); the local unit opens a new session and resends 1 and 2, and 2 happens to
     * arrive first. The ACK for 2 must reach the new session: the old connection is gone, and
     * if nothing is written after seq 2 the local unit would wait for it forever.
     */
    @Test
    void aResentWriteThatWasWaitingItsTurnIsAcknowledgedOnTheNewConnection() throws Exception {
        try (FileVolume volume = FileVolume.createFile(dir.resolve("volume"), 1L << 20, BLOCK_SIZE);
             AppliedSequence applied = AppliedSequence.open(dir.resolve("applied-seq"))) {
            Applier applier = new Applier(volume, applied, 16L << 20);
            applier.start();
            try {
                Connection oldSession = new Connection();
                Connection newSession = new Connection();
                assertTrue(applier.offer(write(2, oldSession)));
                assertTrue(applier.offer(write(2, newSession)));
                assertTrue(applier.offer(write(1, newSession)));

                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                while (newSession.highestAck.get() < 2 && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
                assertEquals(2, applied.get(), "seq 1 and 2 are applied");
                assertEquals(2, newSession.highestAck.get(),
                        "the new session never heard that seq 2 is applied (the ACK went to the old connection)");
            } finally {
                applier.close();
            }
        }
    }

    private static IncomingWrite write(long seq, WriteResponder responder) {
        byte[] data = new byte[BLOCK_SIZE];
        data[0] = (byte) seq;
        CRC32C crc = new CRC32C();
        crc.update(data);
        ByteBuf buf = Unpooled.wrappedBuffer(data);
        return new IncomingWrite(seq, false, seq, 1, (int) crc.getValue(), buf, responder);
    }
}
