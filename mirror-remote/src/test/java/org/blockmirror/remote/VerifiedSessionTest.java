package org.blockmirror.remote;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.Unpooled;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.zip.CRC32C;
import org.blockmirror.protocol.Ack;
import org.blockmirror.protocol.AckMode;
import org.blockmirror.protocol.FrameHeader;
import org.blockmirror.protocol.Goodbye;
import org.blockmirror.protocol.GoodbyeReason;
import org.blockmirror.protocol.Hello;
import org.blockmirror.protocol.HelloOk;
import org.blockmirror.protocol.Message;
import org.blockmirror.protocol.Verdict;
import org.blockmirror.protocol.Verify;
import org.blockmirror.protocol.VerifyReply;
import org.blockmirror.protocol.Write;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A running remote daemon in a verified session, driven frame by frame from a raw socket: each
 * WRITE is answered with VERIFY (the CRC32C of the data received), nothing is written before
 * ACK_ACK, a NAK verdict drops the copy and the resend goes through; verified frames on a
 * session that did not negotiate VERIFIED are a protocol error.
 */
class VerifiedSessionTest {

    private static final int BS = 4096;
    private static final long VOLUME_BYTES = 1L << 20;
    private static final String VOLUME_ID = "verified";
    private static final long TIMEOUT_MS = 5_000;

    @TempDir
    Path dir;

    private RemoteDaemon daemon;
    private InetSocketAddress server;
    private final UUID unit = new UUID(0xC, 3);

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

    private RawPeer connect(AckMode mode, long session) throws Exception {
        RawPeer peer = new RawPeer(server);
        peer.send(new Hello(FrameHeader.VERSION, unit, VOLUME_ID, VOLUME_BYTES, BS, 0, session, 0, 1, mode));
        assertInstanceOf(HelloOk.class, peer.receive(TIMEOUT_MS));
        return peer;
    }

    private static byte[] content(long seed) {
        byte[] b = new byte[BS];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static int crc(byte[] data) {
        CRC32C c = new CRC32C();
        c.update(data);
        return (int) c.getValue();
    }

    private byte[] block(long lba) throws Exception {
        try (FileChannel ch = FileChannel.open(dir.resolve("remote.vol"), StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate(BS);
            ch.read(b, lba * BS);
            return b.array();
        }
    }

    private static void assertSilent(RawPeer peer) {
        assertThrows(SocketTimeoutException.class, () -> peer.receive(200), "the remote answered before ACK_ACK");
    }

    @Test
    void eachWriteIsVerifiedAndWrittenOnlyAfterAckAck() throws Exception {
        try (RawPeer peer = connect(AckMode.VERIFIED, 1)) {
            byte[] data = content(1);
            peer.send(Write.ofData(1, 0, 5, 1, Unpooled.wrappedBuffer(data)));
            assertEquals(new Verify(1, crc(data)), peer.receive(TIMEOUT_MS));
            assertSilent(peer);
            assertEquals(0, daemon.appliedSeq());
            assertArrayEquals(new byte[BS], block(5), "written before ACK_ACK");

            peer.send(VerifyReply.judge(1, crc(data), crc(data)));
            assertEquals(new Ack(1), peer.receive(TIMEOUT_MS));
            assertEquals(1, daemon.appliedSeq());
            assertArrayEquals(data, block(5));
            assertEquals(new RemoteStatus.Verification(1, 0), daemon.status().verification());
        }
    }

    @Test
    void dataDamagedOnTheWayIsReportedRejectedAndReplacedByTheResend() throws Exception {
        try (RawPeer peer = connect(AckMode.VERIFIED, 1)) {
            byte[] data = content(2);
            byte[] frame = RawPeer.encode(Write.ofData(1, 0, 9, 1, Unpooled.wrappedBuffer(data)));
            frame[FrameHeader.LENGTH + FrameHeader.WRITE_FIELDS_LENGTH + 100] ^= 1; // not covered by the frame CRC
            peer.sendBytes(frame);
            Verify verify = assertInstanceOf(Verify.class, peer.receive(TIMEOUT_MS));
            byte[] damaged = data.clone();
            damaged[100] ^= 1;
            assertEquals(crc(damaged), verify.dataCrc32c(), "the CRC of what the remote holds, not the field's");

            // in verified mode the remote leaves the judgement to the local unit: no NAK CRC_MISMATCH
            peer.send(VerifyReply.judge(1, verify.dataCrc32c(), crc(data)));
            assertSilent(peer);
            assertEquals(new RemoteStatus.Verification(0, 1), daemon.status().verification());
            assertEquals(0, daemon.status().reorderBufferedBytes(), "the rejected copy was dropped");

            peer.send(Write.ofData(1, 0, 9, 1, Unpooled.wrappedBuffer(data)));
            assertEquals(new Verify(1, crc(data)), peer.receive(TIMEOUT_MS));
            peer.send(VerifyReply.judge(1, crc(data), crc(data)));
            assertEquals(new Ack(1), peer.receive(TIMEOUT_MS));
            assertArrayEquals(data, block(9));
            assertEquals(new RemoteStatus.Verification(1, 1), daemon.status().verification());
        }
    }

    @Test
    void aVerifyReplyOnASyncSessionIsAProtocolError() throws Exception {
        try (RawPeer peer = connect(AckMode.SYNC, 1)) {
            peer.send(new VerifyReply(1, Verdict.ACK_ACK, 7, 7));
            List<Message> answers = peer.receiveUntilClosed(TIMEOUT_MS);
            assertEquals(1, answers.size(), answers.toString());
            Goodbye bye = assertInstanceOf(Goodbye.class, answers.get(0));
            assertEquals(GoodbyeReason.PROTOCOL_ERROR, bye.reason());
            assertEquals("VERIFY_REPLY frame on a connection that did not negotiate ack mode VERIFIED (it runs SYNC)",
                    bye.message());
        }
    }

    @Test
    void aVerifyFromTheLocalSideClosesTheConnection() throws Exception {
        try (RawPeer peer = connect(AckMode.VERIFIED, 1)) {
            peer.send(new Verify(1, 7)); // VERIFY travels remote → local only
            assertEquals(List.of(), peer.receiveUntilClosed(TIMEOUT_MS));
        }
        try (RawPeer peer = connect(AckMode.VERIFIED, 2)) {
            byte[] data = content(3);
            peer.send(Write.ofData(1, 0, 1, 1, Unpooled.wrappedBuffer(data)));
            assertEquals(new Verify(1, crc(data)), peer.receive(TIMEOUT_MS));
            peer.send(VerifyReply.judge(1, crc(data), crc(data)));
            assertEquals(new Ack(1), peer.receive(TIMEOUT_MS));
        }
    }
}
