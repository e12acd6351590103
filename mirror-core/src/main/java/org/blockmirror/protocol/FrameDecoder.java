package org.blockmirror.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * Reads frames into {@link Message}s, checking everything a peer could get wrong.
 *
 * <p>Order of checks: magic, version, frame type, flags and payload length are checked as soon as
 * their header bytes arrive, so an oversized or foreign frame is refused before its payload is
 * buffered; then, with the whole frame present, the CRC32C; then the payload's fields. Any
 * violation throws a {@link ProtocolException} naming the values, and from then on every byte
 * received on the connection is discarded: after a framing error nothing on the stream can be
 * trusted, so there is no resynchronisation.
 *
 * <p>WRITE data is passed on as a retained slice of the receive buffer (no copy); see {@link Write}.
 * WRITE frames can only be checked once the connection's block size is known: give it to the
 * constructor (local unit) or call {@link #expectBlockSize(int)} when the handshake accepts a HELLO
 * (remote unit). One instance per channel.
 */
public final class FrameDecoder extends ByteToMessageDecoder {

    private final int maxPayloadLength;
    private final CRC32C crc = new CRC32C();
    private int blockSize;
    private boolean failed;
    private boolean decodedAFrame;

    /** A decoder with a 64 MiB payload limit that learns the block size from the handshake. */
    public FrameDecoder() {
        this(FrameHeader.DEFAULT_MAX_PAYLOAD);
    }

    /** A decoder that learns the block size from the handshake ({@link #expectBlockSize(int)}). */
    public FrameDecoder(int maxPayloadLength) {
        this(maxPayloadLength, 0);
    }

    /**
     * @param maxPayloadLength largest payload accepted, in 64..2^31-17 bytes
     * @param blockSize the connection's block size, or 0 if not known yet
     */
    public FrameDecoder(int maxPayloadLength, int blockSize) {
        if (maxPayloadLength < 64 || maxPayloadLength > Integer.MAX_VALUE - FrameHeader.LENGTH) {
            throw new IllegalArgumentException("maximum payload length " + maxPayloadLength
                    + " is not in 64.." + (Integer.MAX_VALUE - FrameHeader.LENGTH));
        }
        this.maxPayloadLength = maxPayloadLength;
        if (blockSize != 0) {
            expectBlockSize(blockSize);
        }
    }

    /** Sets the block size WRITE frames on this connection must use. Call on the channel's event loop. */
    public void expectBlockSize(int blockSize) {
        if (Integer.bitCount(blockSize) != 1 || blockSize < Hello.MIN_BLOCK_SIZE || blockSize > Hello.MAX_BLOCK_SIZE) {
            throw new IllegalArgumentException("block size " + blockSize + " is not a power of two in "
                    + Hello.MIN_BLOCK_SIZE + ".." + Hello.MAX_BLOCK_SIZE);
        }
        this.blockSize = blockSize;
    }

    public int maxPayloadLength() {
        return maxPayloadLength;
    }

    /** Whether a protocol error has been seen; all later input is then discarded. */
    public boolean failed() {
        return failed;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (failed) {
            in.skipBytes(in.readableBytes());
            return;
        }
        try {
            Message msg = decodeFrame(in);
            if (msg != null) {
                decodedAFrame = true;
                out.add(msg);
            }
        } catch (ProtocolException e) {
            failed = true;
            in.skipBytes(in.readableBytes());
            throw e;
        }
    }

    /** One frame from the front of {@code in}, or null (and nothing consumed) if more bytes are needed. */
    private Message decodeFrame(ByteBuf in) {
        int start = in.readerIndex();
        int available = in.readableBytes();

        if (available < FrameHeader.MAGIC_OFFSET + 4) {
            return null;
        }
        int magic = in.getInt(start + FrameHeader.MAGIC_OFFSET);
        if (magic != FrameHeader.MAGIC) {
            throw new ProtocolException(String.format("bad magic 0x%08x, expected 0x%08x (\"BMWP\")",
                    magic, FrameHeader.MAGIC));
        }

        if (available < FrameHeader.VERSION_OFFSET + 1) {
            return null;
        }
        int version = in.getUnsignedByte(start + FrameHeader.VERSION_OFFSET);
        if (version != FrameHeader.VERSION) {
            // On the first frame this is a peer of another version, which deserves a HELLO_REJECT;
            // later it is plain corruption.
            throw new ProtocolException("unsupported protocol version " + version + ", this peer speaks "
                    + FrameHeader.VERSION, decodedAFrame ? null : RejectReason.VERSION_MISMATCH);
        }

        if (available < FrameHeader.TYPE_OFFSET + 1) {
            return null;
        }
        int typeCode = in.getUnsignedByte(start + FrameHeader.TYPE_OFFSET);
        FrameType type = FrameType.fromCode(typeCode);
        if (type == null) {
            throw new ProtocolException("unknown frame type " + typeCode);
        }

        if (available < FrameHeader.FLAGS_OFFSET + 2) {
            return null;
        }
        int flags = in.getUnsignedShort(start + FrameHeader.FLAGS_OFFSET);
        if (flags != 0) {
            throw new ProtocolException(String.format(
                    "%s frame has flags 0x%04x, but protocol version 1 defines none", type, flags));
        }

        if (available < FrameHeader.PAYLOAD_LENGTH_OFFSET + 4) {
            return null;
        }
        long payloadLength = in.getUnsignedInt(start + FrameHeader.PAYLOAD_LENGTH_OFFSET);
        if (payloadLength > maxPayloadLength) {
            throw new ProtocolException(type + " frame length " + payloadLength + " exceeds maximum "
                    + maxPayloadLength);
        }

        int frameLength = FrameHeader.LENGTH + (int) payloadLength;
        if (available < frameLength) {
            return null;
        }
        int payloadStart = start + FrameHeader.LENGTH;
        int expectedCrc = in.getInt(start + FrameHeader.CRC_OFFSET);
        crc.reset();
        ByteBufCrc32c.update(crc, in, start, FrameHeader.CRC_COVERED_HEADER_BYTES);
        ByteBufCrc32c.update(crc, in, payloadStart, (int) payloadLength);
        int computedCrc = (int) crc.getValue();
        if (computedCrc != expectedCrc) {
            throw new ProtocolException(String.format(
                    "CRC32C mismatch in %s frame of payload length %d: header says 0x%08x, computed 0x%08x",
                    type, payloadLength, expectedCrc, computedCrc));
        }

        Message msg = PayloadDecoder.decode(type, in.slice(payloadStart, (int) payloadLength), blockSize);
        in.skipBytes(frameLength);
        return msg;
    }
}
