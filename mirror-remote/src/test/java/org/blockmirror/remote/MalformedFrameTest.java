package org.blockmirror.remote;

import org.blockmirror.testing.LogCapture;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import org.blockmirror.protocol.AckMode;
import org.blockmirror.protocol.Ack;
import org.blockmirror.protocol.FrameHeader;
import org.blockmirror.protocol.Goodbye;
import org.blockmirror.protocol.GoodbyeReason;
import org.blockmirror.protocol.Hello;
import org.blockmirror.protocol.HelloOk;
import org.blockmirror.protocol.HelloReject;
import org.blockmirror.protocol.Message;
import org.blockmirror.protocol.Nak;
import org.blockmirror.protocol.NakStatus;
import org.blockmirror.protocol.ProtocolErrorHandler;
import org.blockmirror.protocol.RejectReason;
import org.blockmirror.protocol.Write;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A running remote daemon facing peers that misbehave on raw sockets: every bad input closes
 * (or refuses) that one connection with a clear reason, and the daemon keeps serving.
 */
class MalformedFrameTest {

    private static final int BS = 4096;
    private static final long VOLUME_BYTES = 4L << 20;
    private static final String VOLUME_ID = "frames";
    private static final long TIMEOUT_MS = 5_000;

    @TempDir
    Path dir;

    private RemoteDaemon daemon;
    private InetSocketAddress server;
    private final UUID unitA = new UUID(0xA, 1);
    private final UUID unitB = new UUID(0xB, 2);

    @BeforeEach
    void startDaemon() throws Exception {
        daemon = LoneRemote.start(dir, VOLUME_ID, VOLUME_BYTES, BS, "");
        server = daemon.listenAddress();
    }

    @AfterEach
    void stopDaemon() {
        if (daemon != null) {
            daemon.close();
        }
    }

    private static Hello hello(UUID unit, long session, String volumeId, long sizeBytes, int blockSize, int version) {
        return new Hello(version, unit, volumeId, sizeBytes, blockSize, 0, session, 0, 1, AckMode.ASYNC);
    }

    private Hello goodHello(UUID unit, long session) {
        return hello(unit, session, VOLUME_ID, VOLUME_BYTES, BS, FrameHeader.VERSION);
    }

    private static ByteBuffer content(long seed) {
        byte[] b = new byte[BS];
        new Random(seed).nextBytes(b);
        return ByteBuffer.wrap(b);
    }

    /** A whole session on a fresh connection: HELLO, a few WRITEs, every one ACKed and on disk. */
    private void assertAWellBehavedSessionWorks(UUID unit, long session) throws Exception {
        long firstSeq = daemon.appliedSeq() + 1;
        try (RawPeer peer = new RawPeer(server)) {
            peer.send(goodHello(unit, session));
            HelloOk ok = assertInstanceOf(HelloOk.class, peer.receive(TIMEOUT_MS));
            assertEquals(firstSeq - 1, ok.appliedSeq());
            assertEquals(daemon.unitId(), ok.remoteUnitId());
            for (long seq = firstSeq; seq < firstSeq + 3; seq++) {
                peer.send(Write.ofData(seq, 0, seq, 1, Unpooled.wrappedBuffer(content(seq))));
            }
            long acked = 0;
            while (acked < firstSeq + 2) {
                Ack ack = assertInstanceOf(Ack.class, peer.receive(TIMEOUT_MS));
                assertTrue(ack.seq() > acked, "ACKs go backwards: " + ack.seq() + " after " + acked);
                acked = ack.seq();
            }
        }
        assertEquals(firstSeq + 2, daemon.appliedSeq());
        try (FileChannel ch = FileChannel.open(dir.resolve("remote.vol"), StandardOpenOption.READ)) {
            for (long seq = firstSeq; seq < firstSeq + 3; seq++) {
                ByteBuffer block = ByteBuffer.allocate(BS);
                ch.read(block, seq * BS);
                assertArrayEquals(content(seq).array(), block.array(), "block " + seq);
            }
        }
    }

    @Test
    void garbageClosesThatConnectionOnlyAndIsLogged() throws Exception {
        try (LogCapture log = new LogCapture(ProtocolErrorHandler.class);
             RawPeer idle = new RawPeer(server);
             RawPeer garbage = new RawPeer(server)) {
            garbage.sendBytes("GET / HTTP/1.1\r\nHost: blockmirror\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            List<Message> answers = garbage.receiveUntilClosed(TIMEOUT_MS);
            assertEquals(1, answers.size(), answers.toString());
            Goodbye bye = assertInstanceOf(Goodbye.class, answers.get(0));
            assertEquals(GoodbyeReason.PROTOCOL_ERROR, bye.reason());
            assertTrue(bye.message().startsWith("bad magic 0x47455420"), bye.message());
            assertTrue(log.messages(Level.WARN).stream().anyMatch(m -> m.contains("bad magic 0x47455420")),
                    log.messages(Level.WARN).toString());

            // the other connection and the daemon are unaffected
            idle.send(goodHello(unitA, 1));
            assertInstanceOf(HelloOk.class, idle.receive(TIMEOUT_MS));
        }
        assertAWellBehavedSessionWorks(unitA, 2);
    }

    @Test
    void aCorruptFrameAfterTheHandshakeClosesTheConnectionWithoutApplyingIt() throws Exception {
        try (RawPeer peer = new RawPeer(server)) {
            peer.send(goodHello(unitA, 1));
            assertInstanceOf(HelloOk.class, peer.receive(TIMEOUT_MS));
            byte[] frame = RawPeer.encode(Write.ofData(1, 0, 7, 1, Unpooled.wrappedBuffer(content(1))));
            frame[FrameHeader.LENGTH + 20] ^= 1; // flip an LBA bit: the frame CRC no longer matches
            peer.sendBytes(frame);
            List<Message> answers = peer.receiveUntilClosed(TIMEOUT_MS);
            assertEquals(1, answers.size(), answers.toString());
            Goodbye bye = assertInstanceOf(Goodbye.class, answers.get(0));
            assertEquals(GoodbyeReason.PROTOCOL_ERROR, bye.reason());
            assertTrue(bye.message().startsWith("CRC32C mismatch in WRITE frame"), bye.message());
        }
        assertEquals(0, daemon.appliedSeq());
        assertAWellBehavedSessionWorks(unitA, 2);
    }

    @Test
    void aWriteWhoseDataWasDamagedOnTheWayIsNakedByTheEndToEndCheckAndNotApplied() throws Exception {
        try (RawPeer peer = new RawPeer(server)) {
            peer.send(goodHello(unitA, 1));
            assertInstanceOf(HelloOk.class, peer.receive(TIMEOUT_MS));
            byte[] frame = RawPeer.encode(Write.ofData(1, 0, 7, 1, Unpooled.wrappedBuffer(content(1))));
            // a data byte: not covered by the frame CRC, but by the record's data CRC32C
            frame[FrameHeader.LENGTH + FrameHeader.WRITE_FIELDS_LENGTH + 100] ^= 1;
            peer.sendBytes(frame);
            Nak nak = assertInstanceOf(Nak.class, peer.receive(TIMEOUT_MS));
            assertEquals(1, nak.seq());
            assertEquals(NakStatus.CRC_MISMATCH, nak.status());
            assertTrue(nak.message().matches("data CRC32C 0x[0-9a-f]{8} does not match 0x[0-9a-f]{8} sent"),
                    nak.message());
            assertEquals(0, daemon.appliedSeq());
            try (FileChannel ch = FileChannel.open(dir.resolve("remote.vol"), StandardOpenOption.READ)) {
                ByteBuffer block = ByteBuffer.allocate(BS);
                ch.read(block, 7L * BS);
                assertArrayEquals(new byte[BS], block.array(), "the damaged data never reached the volume");
            }

            // the connection stays up, and the resend (what the local unit does after a NAK) is applied
            peer.send(Write.ofData(1, 0, 7, 1, Unpooled.wrappedBuffer(content(1))));
            assertEquals(new Ack(1), peer.receive(TIMEOUT_MS));
        }
        assertEquals(1, daemon.appliedSeq());
        try (FileChannel ch = FileChannel.open(dir.resolve("remote.vol"), StandardOpenOption.READ)) {
            ByteBuffer block = ByteBuffer.allocate(BS);
            ch.read(block, 7L * BS);
            assertArrayEquals(content(1).array(), block.array());
        }
    }

    @Test
    void framesBeforeTheHelloAreRefused() throws Exception {
        // a WRITE cannot even be decoded before the handshake tells its block size
        try (RawPeer peer = new RawPeer(server)) {
            peer.send(Write.ofData(1, 0, 0, 1, Unpooled.wrappedBuffer(content(1))));
            List<Message> answers = peer.receiveUntilClosed(TIMEOUT_MS);
            assertEquals(1, answers.size(), answers.toString());
            Goodbye bye = assertInstanceOf(Goodbye.class, answers.get(0));
            assertEquals(GoodbyeReason.PROTOCOL_ERROR, bye.reason());
            assertEquals("WRITE seq 1 arrived before the handshake set the block size", bye.message());
        }
        // a well-formed frame of the wrong kind is refused by the receiver
        try (LogCapture log = new LogCapture(ReceiverHandler.class);
             RawPeer peer = new RawPeer(server)) {
            peer.send(new Ack(5));
            assertEquals(List.of(), peer.receiveUntilClosed(TIMEOUT_MS));
            assertTrue(log.messages(Level.WARN).stream().anyMatch(m -> m.contains("expected HELLO, got ACK")),
                    log.messages(Level.WARN).toString());
        }
        assertEquals(0, daemon.appliedSeq());
        assertAWellBehavedSessionWorks(unitA, 1);
    }

    private HelloReject refused(Hello hello) throws IOException {
        try (RawPeer peer = new RawPeer(server)) {
            peer.send(hello);
            List<Message> answers = peer.receiveUntilClosed(TIMEOUT_MS);
            assertEquals(1, answers.size(), answers.toString());
            return assertInstanceOf(HelloReject.class, answers.get(0));
        }
    }

    @Test
    void helloForAnotherVolumeSizeBlockSizeOrVersionIsRejectedWithTheReason() throws Exception {
        HelloReject volume = refused(hello(unitA, 1, "other-volume", VOLUME_BYTES, BS, FrameHeader.VERSION));
        assertEquals(RejectReason.VOLUME_MISMATCH, volume.reason());
        assertEquals("this remote serves volume 'frames', not 'other-volume'", volume.message());

        HelloReject size = refused(hello(unitA, 1, VOLUME_ID, 2 * VOLUME_BYTES, BS, FrameHeader.VERSION));
        assertEquals(RejectReason.SIZE_MISMATCH, size.reason());
        assertEquals("remote volume is " + VOLUME_BYTES + " bytes, local is " + 2 * VOLUME_BYTES, size.message());

        HelloReject blockSize = refused(hello(unitA, 1, VOLUME_ID, VOLUME_BYTES, 512, FrameHeader.VERSION));
        assertEquals(RejectReason.BLOCK_SIZE_MISMATCH, blockSize.reason());
        assertEquals("remote volume block size is 4096, local is 512", blockSize.message());

        HelloReject helloVersion = refused(hello(unitA, 1, VOLUME_ID, VOLUME_BYTES, BS, 1));
        assertEquals(RejectReason.VERSION_MISMATCH, helloVersion.reason());
        assertEquals("this remote speaks protocol version 2, not 1", helloVersion.message());

        // a frame of another protocol version: refused by the decoder before its payload is read
        try (RawPeer peer = new RawPeer(server)) {
            byte[] frame = RawPeer.encode(goodHello(unitA, 1));
            frame[FrameHeader.VERSION_OFFSET] = 3;
            peer.sendBytes(frame);
            List<Message> answers = peer.receiveUntilClosed(TIMEOUT_MS);
            assertEquals(1, answers.size(), answers.toString());
            HelloReject frameVersion = assertInstanceOf(HelloReject.class, answers.get(0));
            assertEquals(RejectReason.VERSION_MISMATCH, frameVersion.reason());
            assertEquals("unsupported protocol version 3, this peer speaks 2", frameVersion.message());
        }
        assertAWellBehavedSessionWorks(unitA, 1);
    }

    @Test
    void aSecondLocalUnitIsBusyWhileOneIsAttached() throws Exception {
        try (RawPeer attached = new RawPeer(server)) {
            attached.send(goodHello(unitA, 1));
            assertInstanceOf(HelloOk.class, attached.receive(TIMEOUT_MS));

            HelloReject busy = refused(goodHello(unitB, 7));
            assertEquals(RejectReason.BUSY, busy.reason());
            assertEquals("volume 'frames' is being mirrored by local unit " + unitA, busy.message());

            // the attached unit was not disturbed
            attached.send(Write.ofData(1, 0, 1, 1, Unpooled.wrappedBuffer(content(1))));
            assertEquals(new Ack(1), attached.receive(TIMEOUT_MS));
        }
        // once the attached unit is gone, the other may attach
        long deadline = System.nanoTime() + TIMEOUT_MS * 1_000_000;
        while (daemon.status().connectionsUp() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(null, daemon.status().attachedLocalUnit());
        assertAWellBehavedSessionWorks(unitB, 8);
    }
}
