package org.blockmirror.protocol;

import static org.blockmirror.protocol.WireTestSupport.BLOCK_SIZE;
import static org.blockmirror.protocol.WireTestSupport.bytes;
import static org.blockmirror.protocol.WireTestSupport.encode;
import static org.blockmirror.protocol.WireTestSupport.rawFrame;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Payloads written by hand from the tables in docs/wire-protocol.md §4 decode to the expected
 * message, and the encoder produces exactly those bytes: the document and the code agree.
 */
@ExtendWith(ParanoidLeakDetection.class)
class DocumentedLayoutTest {

    private static void assertLayout(Message expected, ByteBuf handWrittenPayload) {
        byte[] payload = bytes(handWrittenPayload);
        handWrittenPayload.release();

        ByteBuf frame = rawFrame(expected.frameType(), payload);
        EmbeddedChannel ch = new EmbeddedChannel(new FrameDecoder(FrameHeader.DEFAULT_MAX_PAYLOAD, BLOCK_SIZE));
        ch.writeInbound(frame);
        Object decoded = ch.readInbound();
        assertEquals(expected, decoded);
        io.netty.util.ReferenceCountUtil.release(decoded);
        ch.finish();

        ByteBuf encoded = encode(expected);
        byte[] all = bytes(encoded);
        encoded.release();
        assertArrayEquals(payload, Arrays.copyOfRange(all, FrameHeader.LENGTH, all.length), expected.frameType() + " payload");
    }

    @Test
    void hello() {
        UUID unit = new UUID(0x0102030405060708L, 0x090A0B0C0D0E0F10L);
        byte[] volumeId = "vol-α".getBytes(StandardCharsets.UTF_8);
        ByteBuf p = Unpooled.buffer()
                .writeByte(1)                // 0 protocol version
                .writeByte(2)                // 1 ack mode SYNC
                .writeShort(3)               // 2 connection index
                .writeShort(4)               // 4 connection count
                .writeInt(4096)              // 6 block size
                .writeLong(1L << 30)         // 10 volume size
                .writeLong(77)               // 18 generation
                .writeLong(0xABCDL)          // 26 session id
                .writeLong(unit.getMostSignificantBits()).writeLong(unit.getLeastSignificantBits()) // 34
                .writeByte(volumeId.length)  // 50
                .writeBytes(volumeId);       // 51
        assertEquals(51 + volumeId.length, p.readableBytes());
        assertLayout(new Hello(1, unit, "vol-α", 1L << 30, 4096, 77, 0xABCDL, 3, 4, AckMode.SYNC), p);
    }

    @Test
    void helloOk() {
        UUID unit = new UUID(11, 12);
        ByteBuf p = Unpooled.buffer().writeLong(11).writeLong(12).writeLong(1000).writeLong(8 << 20).writeLong(3).writeByte(2);
        assertLayout(new HelloOk(unit, 1000, 8 << 20, 3, RemoteSyncState.INCONSISTENT), p);
    }

    @Test
    void helloReject() {
        ByteBuf p = Unpooled.buffer().writeShort(5).writeShort(4).writeBytes("busy".getBytes(StandardCharsets.UTF_8));
        assertLayout(new HelloReject(RejectReason.BUSY, "busy"), p);
    }

    @Test
    void writeAndTrim() {
        ByteBuf data = WireTestSupport.data(1, 2 * BLOCK_SIZE);
        int crc = ByteBufCrc32c.of(data);
        ByteBuf p = Unpooled.buffer()
                .writeLong(42).writeLong(1_700_000_000_000L).writeByte(1).writeLong(99).writeInt(2).writeInt(crc)
                .writeBytes(data, data.readerIndex(), data.readableBytes());
        assertLayout(new Write(42, 1_700_000_000_000L, RecordType.WRITE, 99, 2, crc, data), p);

        ByteBuf trim = Unpooled.buffer().writeLong(43).writeLong(5).writeByte(2).writeLong(7).writeInt(100).writeInt(0);
        assertLayout(Write.trim(43, 5, 7, 100), trim);
    }

    @Test
    void ackNakGoodbye() {
        assertLayout(new Ack(9), Unpooled.buffer().writeLong(9));
        assertLayout(new Nak(9, NakStatus.CRC_MISMATCH, "crc"),
                Unpooled.buffer().writeLong(9).writeShort(2).writeShort(3).writeBytes("crc".getBytes(StandardCharsets.UTF_8)));
        assertLayout(new Goodbye(GoodbyeReason.LINK_RESET, ""), Unpooled.buffer().writeShort(3).writeShort(0));
    }

    @Test
    void codesMatchTheDocumentedTables() {
        assertEquals(List.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 30, 31), Arrays.stream(FrameType.values()).map(FrameType::code).toList());
        assertEquals(List.of(1, 2, 3, 4, 5, 6, 7), Arrays.stream(RejectReason.values()).map(RejectReason::code).toList());
        assertEquals(List.of(1, 2, 3, 4, 5), Arrays.stream(NakStatus.values()).map(NakStatus::code).toList());
        assertEquals(List.of(1, 2, 3), Arrays.stream(GoodbyeReason.values()).map(GoodbyeReason::code).toList());
        assertEquals(List.of(1, 2, 3), Arrays.stream(AckMode.values()).map(AckMode::code).toList());
        assertEquals(List.of(1, 2), Arrays.stream(RecordType.values()).map(RecordType::code).toList());
        assertEquals(RejectReason.BUSY, RejectReason.fromCode(5));
        assertEquals(null, RejectReason.fromCode(0));
        assertEquals(FrameType.GOODBYE, FrameType.fromCode(7));
        assertEquals(FrameType.VERIFY_REPLY, FrameType.fromCode(9));
        assertEquals(null, FrameType.fromCode(24));
        assertEquals(List.of(1, 2, 3), Arrays.stream(RemoteSyncState.values()).map(RemoteSyncState::code).toList());
        assertEquals(List.of(1, 2), Arrays.stream(RemirrorKind.values()).map(RemirrorKind::code).toList());
        assertEquals(List.of(1, 2, 3, 4, 5, 6), Arrays.stream(RemirrorStatus.values()).map(RemirrorStatus::code).toList());
        assertEquals(null, FrameType.fromCode(-1));
    }
}
