package org.blockmirror.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageEncoder;
import java.util.List;
import java.util.UUID;
import java.util.zip.CRC32C;

/**
 * Writes {@link Message}s as frames (layout in {@link FrameHeader} and docs/wire-protocol.md).
 *
 * <p>A WRITE's data is not copied: the header and fixed fields go into a small buffer and the data
 * follows as a second, retained slice of the message's buffer, so the transport can gather both.
 * The frame CRC32C stops before the data ({@link FrameHeader#crcCoveredPayloadLength}), so the
 * encoder never reads it. The encoder releases every message it encodes
 * (MessageToMessageEncoder's contract); the data slice it passes on holds its own reference.
 */
@Sharable
public final class FrameEncoder extends MessageToMessageEncoder<Message> {

    /** Fixed part of a WRITE payload, before the data. */
    static final int WRITE_FIELDS_LENGTH = FrameHeader.WRITE_FIELDS_LENGTH;

    public FrameEncoder() {
        super(Message.class);
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, Message msg, List<Object> out) {
        ByteBuf frame = ctx.alloc().buffer(FrameHeader.LENGTH + 64);
        try {
            writeHeader(frame, msg.frameType());
            ByteBuf data = writePayload(frame, msg);
            int payloadLength = frame.readableBytes() - FrameHeader.LENGTH + data.readableBytes();
            frame.setInt(FrameHeader.PAYLOAD_LENGTH_OFFSET, payloadLength);

            CRC32C crc = new CRC32C();
            ByteBufCrc32c.update(crc, frame, 0, FrameHeader.CRC_COVERED_HEADER_BYTES);
            // every payload byte in frame, none of the WRITE data that follows
            ByteBufCrc32c.update(crc, frame, FrameHeader.LENGTH, frame.readableBytes() - FrameHeader.LENGTH);
            frame.setInt(FrameHeader.CRC_OFFSET, (int) crc.getValue());

            out.add(frame);
            frame = null;
            if (data.isReadable()) {
                // A slice, so the transport advancing its reader index leaves the message's data alone.
                out.add(data.retainedSlice());
            }
        } finally {
            if (frame != null) {
                frame.release();
            }
        }
    }

    private static void writeHeader(ByteBuf frame, FrameType type) {
        frame.writeInt(FrameHeader.MAGIC);
        // HELLO_REJECT's layout is frozen: written in version 1 so that a peer of any version reads it
        frame.writeByte(type == FrameType.HELLO_REJECT ? FrameHeader.HELLO_REJECT_VERSION : FrameHeader.VERSION);
        frame.writeByte(type.code());
        frame.writeShort(0); // flags
        frame.writeInt(0);   // payload length, set once known
        frame.writeInt(0);   // CRC32C, set last
    }

    /** Writes the payload fields; returns the data that follows them (empty except for WRITE). */
    private static ByteBuf writePayload(ByteBuf frame, Message msg) {
        if (msg instanceof Hello h) {
            byte[] volumeId = WireStrings.utf8(h.volumeId());
            frame.writeByte(h.protocolVersion());
            frame.writeByte(h.ackMode().code());
            frame.writeShort(h.connectionIndex());
            frame.writeShort(h.connectionCount());
            frame.writeInt(h.blockSize());
            frame.writeLong(h.volumeSizeBytes());
            frame.writeLong(h.generation());
            frame.writeLong(h.sessionId());
            writeUuid(frame, h.localUnitId());
            frame.writeByte(volumeId.length);
            frame.writeBytes(volumeId);
        } else if (msg instanceof HelloOk ok) {
            writeUuid(frame, ok.remoteUnitId());
            frame.writeLong(ok.appliedSeq());
            frame.writeLong(ok.reorderWindowBytes());
            frame.writeLong(ok.generation());
            frame.writeByte(ok.syncState().code());
        } else if (msg instanceof HelloReject r) {
            frame.writeShort(r.reason().code());
            writeMessage(frame, r.message());
        } else if (msg instanceof Write w) {
            frame.writeLong(w.seq());
            frame.writeLong(w.timestampMillis());
            frame.writeByte(w.recordType().code());
            frame.writeLong(w.lba());
            frame.writeInt(w.blockCount());
            frame.writeInt(w.dataCrc32c());
            return w.content();
        } else if (msg instanceof Ack a) {
            frame.writeLong(a.seq());
        } else if (msg instanceof Nak n) {
            frame.writeLong(n.seq());
            frame.writeShort(n.status().code());
            writeMessage(frame, n.message());
        } else if (msg instanceof Goodbye g) {
            frame.writeShort(g.reason().code());
            writeMessage(frame, g.message());
        } else if (msg instanceof Verify v) {
            frame.writeLong(v.seq());
            frame.writeInt(v.dataCrc32c());
        } else if (msg instanceof VerifyReply r) {
            frame.writeLong(r.seq());
            frame.writeByte(r.verdict().code());
            frame.writeInt(r.remoteCrc32c());
            frame.writeInt(r.localCrc32c());
        } else if (msg instanceof Generations g) {
            frame.writeByte(g.flags());
            writeState(frame, g.state());
        } else if (msg instanceof RoleReject r) {
            frame.writeByte(r.reason().code());
            writeState(frame, r.state());
            writeMessage(frame, r.message());
        } else if (msg instanceof RoleReverse r) {
            writeState(frame, r.state());
        } else if (msg instanceof RoleReverseOk r) {
            writeState(frame, r.state());
        } else if (RemirrorPayloads.isRemirror(msg)) {
            return RemirrorPayloads.encode(frame, msg);
        } else if (msg instanceof Read r) {
            frame.writeLong(r.requestId());
            frame.writeLong(r.seeSeq());
            frame.writeLong(r.lba());
            frame.writeInt(r.blockCount());
            frame.writeInt(r.waitMillis());
        } else if (msg instanceof ReadData d) {
            frame.writeLong(d.requestId());
            frame.writeByte(d.status().code());
            frame.writeLong(d.appliedSeq());
            frame.writeInt(d.dataCrc32c());
            return d.content();
        } else {
            throw new IllegalStateException("unhandled message type " + msg.getClass());
        }
        return Unpooled.EMPTY_BUFFER;
    }

    /** A GenerationState encoding with a u8 length prefix (docs/roles.md, 'GenerationState encoding'). */
    private static void writeState(ByteBuf frame, org.blockmirror.role.GenerationState state) {
        byte[] bytes = org.blockmirror.role.GenerationStateCodec.encode(state);
        frame.writeByte(bytes.length);
        frame.writeBytes(bytes);
    }

    private static void writeUuid(ByteBuf frame, UUID id) {
        frame.writeLong(id.getMostSignificantBits());
        frame.writeLong(id.getLeastSignificantBits());
    }

    private static void writeMessage(ByteBuf frame, String message) {
        byte[] bytes = WireStrings.utf8(message);
        frame.writeShort(bytes.length);
        frame.writeBytes(bytes);
    }
}
