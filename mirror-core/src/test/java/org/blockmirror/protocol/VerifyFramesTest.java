package org.blockmirror.protocol;

import static org.blockmirror.protocol.WireTestSupport.BLOCK_SIZE;
import static org.blockmirror.protocol.WireTestSupport.bytes;
import static org.blockmirror.protocol.WireTestSupport.decode;
import static org.blockmirror.protocol.WireTestSupport.encode;
import static org.blockmirror.protocol.WireTestSupport.patched;
import static org.blockmirror.protocol.WireTestSupport.rawFrame;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * VERIFY (type 8) and VERIFY_REPLY (type 9), the frames of the verified ack mode: the layouts of
 * docs/wire-protocol.md §4.8/§4.9, round trips, and every malformed variant refused with a clear
 * message — including either frame on a connection that did not negotiate VERIFIED.
 */
@ExtendWith(ParanoidLeakDetection.class)
class VerifyFramesTest {

    private static FrameDecoder verifiedDecoder() {
        return new FrameDecoder(FrameHeader.DEFAULT_MAX_PAYLOAD, BLOCK_SIZE).expectAckMode(AckMode.VERIFIED);
    }

    /** Feeds {@code frame} to {@code decoder}; expects exactly {@code message} and a dead connection. */
    private static void assertRejected(FrameDecoder decoder, ByteBuf frame, String message) {
        EmbeddedChannel ch = new EmbeddedChannel(decoder);
        ProtocolException e = assertThrows(ProtocolException.class, () -> ch.writeInbound(frame));
        assertEquals(message, e.getMessage());
        assertNull(e.handshakeReject());
        assertTrue(decoder.failed());
        assertEquals(0, frame.refCnt());
        ByteBuf later = encode(new Ack(1));
        ch.writeInbound(later);
        assertNull(ch.readInbound(), "nothing is decoded after the error");
        assertFalse(ch.finish());
    }

    @Test
    void bothFramesRoundTripOnAVerifiedConnection() {
        List<Message> messages = List.of(new Verify(1, 0), new Verify(Long.MAX_VALUE, 0xDEADBEEF),
                VerifyReply.judge(7, 0x12345678, 0x12345678), VerifyReply.judge(8, 0x12345678, 0x87654321),
                new Ack(8));
        List<Object> decoded = decode(new EmbeddedChannel(verifiedDecoder()), encode(messages));
        assertEquals(messages, decoded);
        assertEquals(Verdict.ACK_ACK, ((VerifyReply) decoded.get(2)).verdict());
        assertEquals(Verdict.NAK, ((VerifyReply) decoded.get(3)).verdict());
    }

    @Test
    void layoutsAreTheDocumentedOnes() {
        // §4.8 VERIFY: seq u64, data CRC32C u32 — 12 bytes
        assertLayout(new Verify(0x0102030405060708L, 0xCAFEBABE),
                Unpooled.buffer().writeLong(0x0102030405060708L).writeInt(0xCAFEBABE));
        // §4.9 VERIFY_REPLY: seq u64, verdict u8, remote CRC32C u32, local CRC32C u32 — 17 bytes
        assertLayout(new VerifyReply(42, Verdict.ACK_ACK, 0x11223344, 0x11223344),
                Unpooled.buffer().writeLong(42).writeByte(1).writeInt(0x11223344).writeInt(0x11223344));
        assertLayout(new VerifyReply(43, Verdict.NAK, 0x11223344, 0x55667788),
                Unpooled.buffer().writeLong(43).writeByte(2).writeInt(0x11223344).writeInt(0x55667788));
    }

    private static void assertLayout(Message expected, ByteBuf handWritten) {
        byte[] payload = bytes(handWritten);
        handWritten.release();
        List<Object> decoded = decode(new EmbeddedChannel(verifiedDecoder()), rawFrame(expected.frameType(), payload));
        assertEquals(List.of(expected), decoded);
        ByteBuf encoded = encode(expected);
        byte[] all = bytes(encoded);
        encoded.release();
        assertEquals(expected.frameType().code(), all[FrameHeader.TYPE_OFFSET]);
        assertArrayEquals(payload, Arrays.copyOfRange(all, FrameHeader.LENGTH, all.length));
    }

    @Test
    void verifyFramesAreRefusedOnAConnectionThatDidNotNegotiateVerified() {
        for (AckMode mode : List.of(AckMode.ASYNC, AckMode.SYNC)) {
            assertRejected(new FrameDecoder(FrameHeader.DEFAULT_MAX_PAYLOAD, BLOCK_SIZE).expectAckMode(mode),
                    encode(new Verify(5, 1)),
                    "VERIFY frame on a connection that did not negotiate ack mode VERIFIED (it runs " + mode + ")");
            assertRejected(new FrameDecoder(FrameHeader.DEFAULT_MAX_PAYLOAD, BLOCK_SIZE).expectAckMode(mode),
                    encode(VerifyReply.judge(5, 1, 1)),
                    "VERIFY_REPLY frame on a connection that did not negotiate ack mode VERIFIED (it runs " + mode + ")");
        }
        // a server before the HELLO: the mode is not known yet
        assertRejected(new FrameDecoder(), encode(VerifyReply.judge(5, 1, 2)),
                "VERIFY_REPLY frame on a connection that did not negotiate ack mode VERIFIED (no HELLO accepted yet)");
    }

    @Test
    void refusedFromTheHeaderAloneBeforeThePayloadArrives() {
        FrameDecoder decoder = new FrameDecoder(FrameHeader.DEFAULT_MAX_PAYLOAD, BLOCK_SIZE).expectAckMode(AckMode.SYNC);
        ByteBuf header = Unpooled.buffer().writeInt(FrameHeader.MAGIC).writeByte(FrameHeader.VERSION)
                .writeByte(FrameType.VERIFY.code()).writeShort(0).writeInt(12);
        assertRejected(decoder, header,
                "VERIFY frame on a connection that did not negotiate ack mode VERIFIED (it runs SYNC)");
    }

    @Test
    void wrongPayloadLengths() {
        assertRejected(verifiedDecoder(), rawFrame(FrameType.VERIFY, new byte[11]),
                "VERIFY payload is 11 bytes, but exactly 12 are expected");
        assertRejected(verifiedDecoder(), rawFrame(FrameType.VERIFY, new byte[13]),
                "VERIFY payload is 13 bytes, but exactly 12 are expected");
        assertRejected(verifiedDecoder(), rawFrame(FrameType.VERIFY_REPLY, new byte[16]),
                "VERIFY_REPLY payload is 16 bytes, but exactly 17 are expected");
        assertRejected(verifiedDecoder(), patched(VerifyReply.judge(3, 4, 4), p -> p.writeByte(0)),
                "VERIFY_REPLY payload is 18 bytes, but exactly 17 are expected");
    }

    @Test
    void unknownVerdict() {
        for (int code : new int[] {0, 3, 255}) {
            assertRejected(verifiedDecoder(), patched(VerifyReply.judge(9, 4, 4), p -> p.setByte(8, code)),
                    "VERIFY_REPLY seq 9: unknown verdict " + code);
        }
    }

    @Test
    void aVerdictThatContradictsTheTwoCrcsIsRefused() {
        assertRejected(verifiedDecoder(), patched(VerifyReply.judge(9, 0xA, 0xB), p -> p.setByte(8, 1)),
                "VERIFY_REPLY seq 9: verdict ACK_ACK, but the remote's CRC32C 0x0000000a differs from the local 0x0000000b");
        assertRejected(verifiedDecoder(), patched(VerifyReply.judge(9, 0xA, 0xA), p -> p.setByte(8, 2)),
                "VERIFY_REPLY seq 9: verdict NAK, but the remote's and the local CRC32C are both 0x0000000a");
    }

    @Test
    void seqZeroOrAboveLongMaxIsRefused() {
        assertRejected(verifiedDecoder(), patched(new Verify(1, 2), p -> p.setLong(0, 0)),
                "VERIFY: seq 0 is not in 1..2^63-1");
        assertRejected(verifiedDecoder(), patched(VerifyReply.judge(1, 2, 2), p -> p.setLong(0, -1)),
                "VERIFY_REPLY: seq 18446744073709551615 is not in 1..2^63-1");
    }

    @Test
    void constructorsRefuseWhatTheDecoderWouldRefuse() {
        assertThrows(IllegalArgumentException.class, () -> new Verify(0, 1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new VerifyReply(1, Verdict.ACK_ACK, 1, 2));
        assertEquals("verdict ACK_ACK, but the remote's CRC32C 0x00000001 differs from the local 0x00000002",
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new VerifyReply(1, Verdict.NAK, 3, 3));
        assertThrows(NullPointerException.class, () -> new VerifyReply(1, null, 3, 3));
        assertEquals(Verdict.NAK, VerifyReply.judge(1, 3, 4).verdict());
    }

    @Test
    void codes() {
        assertEquals(FrameType.VERIFY, FrameType.fromCode(8));
        assertEquals(FrameType.VERIFY_REPLY, FrameType.fromCode(9));
        assertEquals(AckMode.VERIFIED, AckMode.fromCode(3));
        assertEquals(Verdict.ACK_ACK, Verdict.fromCode(1));
        assertEquals(Verdict.NAK, Verdict.fromCode(2));
        assertNull(Verdict.fromCode(0));
    }
}
