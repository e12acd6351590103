package org.blockmirror.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.zip.CRC32C;

/** Building frames, good and bad, for the protocol tests. */
final class WireTestSupport {

    static final int BLOCK_SIZE = 4096;

    private WireTestSupport() {
    }

    /** One of every message type (fresh instances each call; WRITE data is deterministic). */
    static List<Message> oneOfEach() {
        return List.of(
                hello(0, 4),
                new HelloOk(new UUID(0x1111_2222_3333_4444L, 0x5555_6666_7777_8888L), 41, 8L << 20, 7),
                new HelloReject(RejectReason.SIZE_MISMATCH, "remote volume is 1073741824 bytes, HELLO says 2147483648"),
                write(42, 3),
                Write.trim(43, 1_700_000_000_123L, 12, 256),
                new Ack(42),
                new Nak(43, NakStatus.OUT_OF_RANGE, "LBA 12 + 256 blocks beyond 262144 blocks — ünïcödé"),
                new Goodbye(GoodbyeReason.SHUTDOWN, "daemon stopping"));
    }

    static Hello hello(int index, int count) {
        return new Hello(1, new UUID(0xAAAA_BBBB_CCCC_DDDDL, 0xEEEE_FFFF_0000_1111L), "vol-α", 1L << 30,
                BLOCK_SIZE, 5, 0x0123_4567_89AB_CDEFL, index, count, AckMode.SYNC);
    }

    /** A WRITE of {@code blocks} blocks whose data is derived from {@code seq}. */
    static Write write(long seq, int blocks) {
        return Write.ofData(seq, 1_700_000_000_000L + seq, seq * 8, blocks, data(seq, blocks * BLOCK_SIZE));
    }

    static ByteBuf data(long seed, int length) {
        byte[] bytes = new byte[length];
        new Random(seed).nextBytes(bytes);
        return Unpooled.wrappedBuffer(bytes);
    }

    /** The frames for {@code messages}, concatenated into one heap buffer; the messages are released. */
    static ByteBuf encode(Message... messages) {
        return encode(List.of(messages));
    }

    static ByteBuf encode(List<? extends Message> messages) {
        EmbeddedChannel ch = new EmbeddedChannel(new FrameEncoder());
        for (Message m : messages) {
            ch.writeOutbound(m);
        }
        ByteBuf all = Unpooled.buffer();
        for (Object o; (o = ch.readOutbound()) != null; ) {
            ByteBuf part = (ByteBuf) o;
            all.writeBytes(part);
            part.release();
        }
        ch.finishAndReleaseAll();
        return all;
    }

    static byte[] bytes(ByteBuf buf) {
        byte[] out = new byte[buf.readableBytes()];
        buf.getBytes(buf.readerIndex(), out);
        return out;
    }

    /** A frame with the given raw header fields and payload and a correct CRC32C. */
    static ByteBuf rawFrame(int magic, int version, int type, int flags, byte[] payload) {
        ByteBuf frame = Unpooled.buffer();
        frame.writeInt(magic).writeByte(version).writeByte(type).writeShort(flags).writeInt(payload.length).writeInt(0);
        frame.writeBytes(payload);
        frame.setInt(FrameHeader.CRC_OFFSET, crcOf(frame));
        return frame;
    }

    static ByteBuf rawFrame(FrameType type, byte[] payload) {
        return rawFrame(FrameHeader.MAGIC, FrameHeader.VERSION, type.code(), 0, payload);
    }

    /**
     * The CRC32C a frame's header should carry, as docs/wire-protocol.md states it: header bytes
     * 0..11, then the payload — for a WRITE (type 4) only its first 33 bytes, the fixed fields,
     * for a REMIRROR_DATA (type 16) its first 24, and for a READ_DATA (type 31) its first 21.
     */
    static int crcOf(ByteBuf frame) {
        CRC32C crc = new CRC32C();
        byte[] all = bytes(frame);
        int payloadLength = all.length - 16;
        int covered = switch (all[5]) {
            case 4 -> Math.min(payloadLength, 33);  // WRITE: fixed fields only
            case 16 -> Math.min(payloadLength, 24); // REMIRROR_DATA: fixed fields only
            case 31 -> Math.min(payloadLength, 21); // READ_DATA: fixed fields only
            default -> payloadLength;
        };
        crc.update(all, 0, 12);
        crc.update(all, 16, covered);
        return (int) crc.getValue();
    }

    /**
     * Encodes {@code message}, lets {@code patch} change the payload (a buffer holding only the
     * payload, indices from 0) and returns the frame with the length and CRC32C fixed up, so the
     * decoder's field checks — not the CRC — see the change.
     */
    static ByteBuf patched(Message message, Consumer<ByteBuf> patch) {
        ByteBuf frame = encode(message);
        ByteBuf payload = Unpooled.buffer().writeBytes(frame, 16, frame.readableBytes() - 16);
        int type = frame.getUnsignedByte(FrameHeader.TYPE_OFFSET);
        frame.release();
        patch.accept(payload);
        ByteBuf result = rawFrame(FrameType.fromCode(type), bytes(payload));
        payload.release();
        return result;
    }

    /** Everything decoded from {@code inputs} fed in order. */
    static List<Object> decode(EmbeddedChannel ch, ByteBuf... inputs) {
        for (ByteBuf in : inputs) {
            ch.writeInbound(in);
        }
        List<Object> out = new ArrayList<>();
        for (Object o; (o = ch.readInbound()) != null; ) {
            out.add(o);
        }
        return out;
    }

    static void releaseAll(List<?> messages) {
        for (Object m : messages) {
            ReferenceCountUtil.release(m);
        }
    }
}
