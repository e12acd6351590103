package org.blockmirror.protocol;

import static org.blockmirror.protocol.WireTestSupport.BLOCK_SIZE;
import static org.blockmirror.protocol.WireTestSupport.bytes;
import static org.blockmirror.protocol.WireTestSupport.decode;
import static org.blockmirror.protocol.WireTestSupport.encode;
import static org.blockmirror.protocol.WireTestSupport.patched;
import static org.blockmirror.protocol.WireTestSupport.rawFrame;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.zip.CRC32C;
import org.blockmirror.remirror.BlockChecksums;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The remirror exchange (frame types 10–19, protocol version 2): hand-written payloads from the
 * tables in docs/wire-protocol.md §4.8 decode to the expected messages and the encoder writes
 * exactly those bytes; malformed frames are protocol errors with a clear message; the checksum
 * definitions are the documented ones.
 */
@ExtendWith(ParanoidLeakDetection.class)
class RemirrorFramesTest {

    private static void assertLayout(Message expected, ByteBuf handWritten) {
        byte[] payload = bytes(handWritten);
        handWritten.release();
        EmbeddedChannel ch = new EmbeddedChannel(new FrameDecoder(FrameHeader.DEFAULT_MAX_PAYLOAD, BLOCK_SIZE));
        ch.writeInbound(rawFrame(expected.frameType(), payload));
        Object decoded = ch.readInbound();
        assertEquals(expected, decoded);
        io.netty.util.ReferenceCountUtil.release(decoded);
        ch.finish();
        ByteBuf encoded = encode(expected);
        byte[] all = bytes(encoded);
        encoded.release();
        assertEquals(FrameHeader.VERSION, all[FrameHeader.VERSION_OFFSET]);
        assertArrayEquals(payload, Arrays.copyOfRange(all, FrameHeader.LENGTH, all.length), expected.frameType() + " payload");
    }

    private static BitSet bits(int... set) {
        BitSet b = new BitSet();
        for (int i : set) {
            b.set(i);
        }
        return b;
    }

    @Test
    void beginAndReady() {
        assertLayout(new RemirrorBegin(RemirrorKind.RESYNC, 12, 12 * 65536),
                Unpooled.buffer().writeByte(2).writeLong(12).writeLong(12 * 65536));
        assertLayout(new RemirrorReady(RemoteSyncState.NEVER_SYNCED, 0), Unpooled.buffer().writeByte(1).writeLong(0));
    }

    @Test
    void rangeSumsAndDiffs() {
        assertLayout(new RangeSums(7, List.of(new ChecksumRange(0, 16, 0xCAFEBABE), new ChecksumRange(32, 5, -1))),
                Unpooled.buffer().writeLong(7).writeInt(2)
                        .writeLong(0).writeInt(16).writeInt(0xCAFEBABE)
                        .writeLong(32).writeInt(5).writeInt(-1));
        // 10 entries, 2 and 9 differ: bytes 0b0000_0100, 0b0000_0010 (least significant bit first)
        assertLayout(ChecksumDiff.ranges(7, 10, bits(2, 9)),
                Unpooled.buffer().writeLong(7).writeInt(10).writeByte(0x04).writeByte(0x02));
        assertLayout(ChecksumDiff.blocks(8, 3, bits()), Unpooled.buffer().writeLong(8).writeInt(3).writeByte(0));
    }

    @Test
    void blockSums() {
        assertLayout(new BlockSums(9, 1000, new int[] {1, 2, 0xFFFFFFFF}),
                Unpooled.buffer().writeLong(9).writeLong(1000).writeInt(3).writeInt(1).writeInt(2).writeInt(-1));
    }

    @Test
    void dataAckDone() {
        ByteBuf data = WireTestSupport.data(5, 2 * BLOCK_SIZE);
        int crc = ByteBufCrc32c.of(data);
        assertLayout(new RemirrorData(11, 64, 2, crc, data),
                Unpooled.buffer().writeLong(11).writeLong(64).writeInt(2).writeInt(crc)
                        .writeBytes(data, data.readerIndex(), data.readableBytes()));
        assertLayout(RemirrorAck.ok(11), Unpooled.buffer().writeLong(11).writeShort(1).writeShort(0));
        assertLayout(new RemirrorAck(12, RemirrorStatus.HOOK_FAILED, "hook"),
                Unpooled.buffer().writeLong(12).writeShort(5).writeShort(4).writeBytes("hook".getBytes(StandardCharsets.UTF_8)));
        assertLayout(new RemirrorDone(501, 500), Unpooled.buffer().writeLong(501).writeLong(500));
        assertLayout(new RemirrorDoneAck(RemirrorStatus.OK, RemoteSyncState.CONSISTENT, 500, "ok"),
                Unpooled.buffer().writeShort(1).writeByte(3).writeLong(500).writeShort(2)
                        .writeBytes("ok".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void remirrorDataFrameCrcCoversTheFixedFieldsOnlyAndTheDataCrcCatchesDamage() {
        ByteBuf data = WireTestSupport.data(6, BLOCK_SIZE);
        ByteBuf frame = encode(RemirrorData.of(3, 0, 1, data));
        frame.setByte(frame.writerIndex() - 1, frame.getByte(frame.writerIndex() - 1) ^ 0x01); // last data byte
        EmbeddedChannel ch = new EmbeddedChannel(new FrameDecoder(FrameHeader.DEFAULT_MAX_PAYLOAD, BLOCK_SIZE));
        List<Object> out = decode(ch, frame);
        RemirrorData d = assertInstanceOf(RemirrorData.class, out.get(0));
        assertTrue(!d.dataCrcMatches(), "the receiver sees the damage through the data CRC32C");
        d.release();
        ch.finish();
    }

    @Test
    void helloRejectIsAlwaysWrittenInVersionOneAndReadInIt() {
        ByteBuf frame = encode(new HelloReject(RejectReason.VERSION_MISMATCH, "speaks 2"));
        assertEquals(1, frame.getByte(FrameHeader.VERSION_OFFSET), "HELLO_REJECT's layout is frozen in version 1");
        EmbeddedChannel ch = new EmbeddedChannel(new FrameDecoder());
        List<Object> out = decode(ch, frame);
        assertEquals(List.of(new HelloReject(RejectReason.VERSION_MISMATCH, "speaks 2")), out);
        ch.finish();
        // any other type in version 1 is a peer of the old version
        ProtocolException e = assertThrows(ProtocolException.class, () -> new EmbeddedChannel(new FrameDecoder())
                .writeInbound(rawFrame(FrameHeader.MAGIC, 1, FrameType.HELLO.code(), 0, new byte[60])));
        assertEquals("unsupported protocol version 1, this peer speaks 2", e.getMessage());
        assertEquals(RejectReason.VERSION_MISMATCH, e.handshakeReject());
    }

    @Test
    void helloOkCarriesTheSyncState() {
        assertRejectedWith(patched(new HelloOk(new java.util.UUID(1, 2), 5, 1 << 20, 0, RemoteSyncState.NEVER_SYNCED),
                p -> p.setByte(40, 9)), "HELLO_OK: unknown sync state 9");
    }

    // ---- malformed frames ----

    private static void assertRejectedWith(ByteBuf bad, String message) {
        EmbeddedChannel ch = new EmbeddedChannel(new FrameDecoder(FrameHeader.DEFAULT_MAX_PAYLOAD, BLOCK_SIZE));
        ProtocolException e = assertThrows(ProtocolException.class, () -> ch.writeInbound(bad));
        assertEquals(message, e.getMessage());
        assertNull(ch.readInbound());
        assertEquals(0, bad.refCnt());
        ch.finishAndReleaseAll();
    }

    @Test
    void malformedRemirrorFramesAreProtocolErrors() {
        assertRejectedWith(rawFrame(FrameType.REMIRROR_BEGIN, new byte[16]),
                "REMIRROR_BEGIN payload is 16 bytes, but exactly 17 are expected");
        assertRejectedWith(patched(new RemirrorBegin(RemirrorKind.RESYNC, 1, 1), p -> p.setByte(0, 7)),
                "REMIRROR_BEGIN: unknown remirror kind 7");
        assertRejectedWith(patched(new RemirrorReady(RemoteSyncState.CONSISTENT, 1), p -> p.setByte(0, 0)),
                "REMIRROR_READY: unknown sync state 0");
        assertRejectedWith(patched(new RangeSums(4, List.of(new ChecksumRange(0, 8, 1))), p -> p.setInt(8, 2)),
                "RANGE_SUMS payload is 28 bytes, but range count 2 needs exactly 44");
        assertRejectedWith(patched(new RangeSums(4, List.of(new ChecksumRange(0, 8, 1))), p -> p.setInt(8, 0)),
                "RANGE_SUMS tag 4: entry count 0 is not in 1..65536");
        assertRejectedWith(patched(new RangeSums(4, List.of(new ChecksumRange(0, 8, 1))), p -> p.setInt(20, 0)),
                "RANGE_SUMS tag 4: range 0 of 0 blocks at LBA 0 is not 1..2^31-1 blocks below 2^63");
        assertRejectedWith(patched(new RangeSums(4, List.of(new ChecksumRange(0, 8, 1))), p -> p.setLong(12, -1)),
                "RANGE_SUMS tag 4: range 0 LBA 18446744073709551615 is above 2^63-1");
        assertRejectedWith(patched(ChecksumDiff.ranges(5, 3, bits(0)), p -> p.setByte(12, 0x08)),
                "RANGE_DIFF tag 5: bit 3 is set, but there are only 3 entries (padding bits must be 0)");
        assertRejectedWith(patched(ChecksumDiff.blocks(5, 9, bits(0)), p -> p.writeByte(0)),
                "BLOCK_DIFF payload is 15 bytes, but entry count 9 needs exactly 14");
        assertRejectedWith(patched(new BlockSums(6, 0, new int[] {1, 2}), p -> p.setInt(16, 3)),
                "BLOCK_SUMS payload is 28 bytes, but block count 3 needs exactly 32");
        assertRejectedWith(patched(RemirrorData.of(7, 0, 1, WireTestSupport.data(1, BLOCK_SIZE)), p -> p.setInt(16, 2)),
                "REMIRROR_DATA tag 7: data length 4096 is not block count 2 × block size 4096");
        assertRejectedWith(patched(RemirrorAck.ok(8), p -> p.setShort(8, 0)), "REMIRROR_ACK tag 8: unknown status 0");
        assertRejectedWith(patched(RemirrorAck.ok(8), p -> p.setShort(10, 5)),
                "REMIRROR_ACK payload is 12 bytes, but message length 5 needs exactly 17");
        assertRejectedWith(patched(new RemirrorDone(1, 0), p -> p.setLong(0, 0)),
                "REMIRROR_DONE: resume seq 0 is not in 1..2^63-1");
        assertRejectedWith(patched(new RemirrorDoneAck(RemirrorStatus.OK, RemoteSyncState.CONSISTENT, 1, ""),
                p -> p.setByte(2, 4)), "REMIRROR_DONE_ACK: unknown sync state 4");
    }

    @Test
    void remirrorDataNeedsTheBlockSizeOfTheHandshake() {
        ByteBuf frame = encode(RemirrorData.of(1, 0, 1, WireTestSupport.data(1, BLOCK_SIZE)));
        EmbeddedChannel ch = new EmbeddedChannel(new FrameDecoder());
        ProtocolException e = assertThrows(ProtocolException.class, () -> ch.writeInbound(frame));
        assertEquals("REMIRROR_DATA tag 1 arrived before the handshake set the block size", e.getMessage());
        ch.finishAndReleaseAll();
    }

    @Test
    void messagesRefuseBadArguments() {
        assertEquals("RANGE_SUMS carries 0 ranges, must carry 1..65536",
                assertThrows(IllegalArgumentException.class, () -> new RangeSums(1, List.of())).getMessage());
        assertEquals("RANGE_DIFF: entry 4 marked differing, but there are only 3",
                assertThrows(IllegalArgumentException.class, () -> ChecksumDiff.ranges(1, 3, bits(4))).getMessage());
        assertEquals("range of 0 blocks is not in 1..2^31-1",
                assertThrows(IllegalArgumentException.class, () -> new ChecksumRange(0, 0, 0)).getMessage());
    }

    // ---- the checksum definitions ----

    @Test
    void rangeChecksumIsTheCrcOfTheBigEndianBlockCrcs() {
        ByteBuffer data = ByteBuffer.allocate(3 * 512);
        for (int i = 0; i < data.capacity(); i++) {
            data.put(i, (byte) (i * 7));
        }
        int[] crcs = BlockChecksums.ofBlocks(data, 512);
        assertEquals(3, crcs.length);
        for (int i = 0; i < 3; i++) {
            CRC32C c = new CRC32C();
            c.update(data.array(), i * 512, 512);
            assertEquals((int) c.getValue(), crcs[i]);
        }
        ByteBuffer be = ByteBuffer.allocate(12).putInt(crcs[0]).putInt(crcs[1]).putInt(crcs[2]);
        CRC32C c = new CRC32C();
        c.update(be.array());
        assertEquals((int) c.getValue(), BlockChecksums.ofRange(crcs));
        assertEquals(0, data.position(), "the caller's buffer is left alone");
    }
}
