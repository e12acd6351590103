package org.blockmirror.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;
import org.blockmirror.protocol.Ack;
import org.blockmirror.protocol.Verdict;
import org.blockmirror.protocol.Verify;
import org.blockmirror.protocol.VerifyReply;
import org.blockmirror.protocol.Write;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The local unit's side of the verified ack mode, frame by frame: a real journal, write pipeline
 * and replicator talk to a scripted remote on a plain socket (frames made by the protocol's own
 * codec), which checks exactly what the local unit answers to VERIFY and what it resends.
 */
class ReplicatorVerifiedModeTest {

    private static final int BS = ReplicatorUnderTest.BS;
    private static final long TIMEOUT_MS = 5_000;

    @TempDir
    Path dir;

    private ReplicatorUnderTest unit;
    private WritePipeline pipeline;
    private Replicator replicator;

    @BeforeEach
    void start() throws IOException {
        unit = ReplicatorUnderTest.start(dir, AckMode.VERIFIED, 0, 0x5E55L);
        pipeline = unit.pipeline;
        replicator = unit.replicator;
    }

    @AfterEach
    void stop() throws Exception {
        unit.close();
    }

    private static ByteBuffer data(long seed) {
        byte[] b = new byte[BS];
        new Random(seed).nextBytes(b);
        return ByteBuffer.wrap(b);
    }

    private static int crc(ByteBuffer data) {
        CRC32C c = new CRC32C();
        c.update(data.duplicate());
        return (int) c.getValue();
    }

    @Test
    void aWrongCrcIsAnsweredNakAndTheRecordIsResentOnTheSameConnection() throws Exception {
        try (ScriptedRemote remote = unit.acceptRemote(TIMEOUT_MS)) {
            assertEquals(org.blockmirror.protocol.AckMode.VERIFIED, remote.handshake().ackMode());
            ByteBuffer data = data(1);
            int good = crc(data);
            CompletableFuture<Void> host = pipeline.write(5, data.duplicate());

            Write first = assertInstanceOf(Write.class, remote.receive());
            assertEquals(1, first.seq());
            first.release();
            remote.send(new Verify(1, good ^ 0x100)); // "the data I received has another CRC"
            assertEquals(new VerifyReply(1, Verdict.NAK, good ^ 0x100, good), remote.receive());
            Write resent = assertInstanceOf(Write.class, remote.receive(), "the rejected record comes again");
            assertEquals(1, resent.seq());
            assertEquals(5, resent.lba());
            assertEquals(good, resent.dataCrc32c());
            assertTrue(resent.dataCrcMatches());
            resent.release();

            Thread.sleep(100);
            assertFalse(host.isDone(), "the host waits for the remote in verified mode");
            remote.send(new Verify(1, good));
            assertEquals(VerifyReply.judge(1, good, good), remote.receive());
            remote.send(new Ack(1));
            host.get(TIMEOUT_MS, TimeUnit.MILLISECONDS);

            assertEquals(1, replicator.verified());
            assertEquals(1, replicator.verifyMismatches());
            assertEquals(1, replicator.resends());
            assertEquals(1, replicator.sessionsOpened(), "resent within the session");
            assertEquals(1, replicator.ackedSeq());
        }
    }

    @Test
    void aVerifyForASeqNotInFlightEndsTheSessionWithAClearError() throws Exception {
        try (ScriptedRemote remote = unit.acceptRemote(TIMEOUT_MS)) {
            remote.handshake();
            pipeline.write(0, data(2));
            Write w = assertInstanceOf(Write.class, remote.receive());
            w.release();
            remote.send(new Verify(99, 0));
            assertNull(remote.receive(), "the local unit closed the connection");
            assertEquals("remote sent VERIFY for seq 99, which is not in flight", replicator.lastError());
            assertEquals(0, replicator.verified() + replicator.verifyMismatches());
        }
    }

    @Test
    void aVerifyReplyFromTheRemoteClosesTheConnection() throws Exception {
        try (ScriptedRemote remote = unit.acceptRemote(TIMEOUT_MS)) {
            remote.handshake();
            remote.send(VerifyReply.judge(1, 3, 3)); // VERIFY_REPLY travels local → remote only
            assertNull(remote.receive(), "the local unit closed the connection");
        }
    }
}
