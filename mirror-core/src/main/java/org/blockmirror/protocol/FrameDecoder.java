package org.blockmirror.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;
import java.util.Objects;
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
 * Its bytes are not covered by the frame CRC but by the record's end-to-end data CRC32C, which the
 * receiver checks before using them ({@link FrameHeader#crcCoveredPayloadLength}).
 *
 * <p>Cumulation: once a frame's header has arrived, the receive buffer is grown to hold the whole
 * frame in one step, so a large WRITE is copied once from the socket's read buffers into one
 * contiguous buffer instead of being merged into ever-doubling buffers (each doubling a copy).
 * WRITE frames can only be checked once the connection's block size is known: give it to the
 * constructor (local unit) or call {@link #expectBlockSize(int)} when the handshake accepts a HELLO
 * (remote unit). One instance per channel.
 */
public final class FrameDecoder extends ByteToMessageDecoder {

    private final int maxPayloadLength;
    private final CRC32C crc = new CRC32C();
    private int blockSize;
    /** The ack mode the connection's HELLO asked for; null until known. VERIFY frames need VERIFIED. */
    private AckMode ackMode;
    private boolean failed;
    private boolean decodedAFrame;
    /** Length of the frame at the front of the cumulation once its header has arrived, else 0. */
    private int pendingFrameLength;

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
        setCumulator(this::cumulate);
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

    /**
     * Sets the ack mode the connection's session negotiated: VERIFY and VERIFY_REPLY frames are
     * accepted only under {@link AckMode#VERIFIED}. Call on the channel's event loop (the local
     * unit before connecting, the remote when it accepts the HELLO).
     */
    public FrameDecoder expectAckMode(AckMode mode) {
        this.ackMode = Objects.requireNonNull(mode, "mode");
        return this;
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

        if (available < FrameHeader.TYPE_OFFSET + 1) {
            return null;
        }
        int version = in.getUnsignedByte(start + FrameHeader.VERSION_OFFSET);
        boolean frozenReject = version == FrameHeader.HELLO_REJECT_VERSION
                && in.getUnsignedByte(start + FrameHeader.TYPE_OFFSET) == FrameType.HELLO_REJECT.code();
        if (version != FrameHeader.VERSION && !frozenReject) {
            // On the first frame this is a peer of another version, which deserves a HELLO_REJECT;
            // later it is plain corruption.
            throw new ProtocolException("unsupported protocol version " + version + ", this peer speaks "
                    + FrameHeader.VERSION, decodedAFrame ? null : RejectReason.VERSION_MISMATCH);
        }

        int typeCode = in.getUnsignedByte(start + FrameHeader.TYPE_OFFSET);
        FrameType type = FrameType.fromCode(typeCode);
        if (type == null) {
            throw new ProtocolException("unknown frame type " + typeCode);
        }
        if ((type == FrameType.VERIFY || type == FrameType.VERIFY_REPLY) && ackMode != AckMode.VERIFIED) {
            throw new ProtocolException(type + " frame on a connection that did not negotiate ack mode VERIFIED"
                    + (ackMode == null ? " (no HELLO accepted yet)" : " (it runs " + ackMode + ")"));
        }

        if (available < FrameHeader.FLAGS_OFFSET + 2) {
            return null;
        }
        int flags = in.getUnsignedShort(start + FrameHeader.FLAGS_OFFSET);
        if (flags != 0) {
            throw new ProtocolException(String.format(
                    "%s frame has flags 0x%04x, but protocol version %d defines none", type, flags, version));
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
            pendingFrameLength = frameLength;
            return null;
        }
        pendingFrameLength = 0;
        int payloadStart = start + FrameHeader.LENGTH;
        int expectedCrc = in.getInt(start + FrameHeader.CRC_OFFSET);
        crc.reset();
        ByteBufCrc32c.update(crc, in, start, FrameHeader.CRC_COVERED_HEADER_BYTES);
        ByteBufCrc32c.update(crc, in, payloadStart, FrameHeader.crcCoveredPayloadLength(type, (int) payloadLength));
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

    /**
     * {@link #MERGE_CUMULATOR}, except that a cumulation that must be replaced or grown is
     * replaced by one that holds the whole pending frame. Releases {@code in}, and
     * {@code cumulation} when it is replaced.
     */
    private ByteBuf cumulate(ByteBufAllocator alloc, ByteBuf cumulation, ByteBuf in) {
        int oldBytes = cumulation.readableBytes();
        int newBytes = in.readableBytes();
        boolean fitsInPlace = cumulation.refCnt() == 1 && !cumulation.isReadOnly()
                && newBytes <= cumulation.maxFastWritableBytes();
        if (oldBytes == 0 || fitsInPlace) {
            return MERGE_CUMULATOR.cumulate(alloc, cumulation, in);
        }
        int needed = oldBytes + newBytes;
        int capacity = pendingFrameLength > needed ? pendingFrameLength
                : alloc.calculateNewCapacity(needed, Integer.MAX_VALUE);
        ByteBuf grown = alloc.buffer(capacity);
        try {
            grown.writeBytes(cumulation, cumulation.readerIndex(), oldBytes)
                    .writeBytes(in, in.readerIndex(), newBytes);
        } catch (RuntimeException | Error e) {
            grown.release();
            in.release();
            throw e;
        }
        cumulation.release();
        in.release();
        return grown;
    }
}
