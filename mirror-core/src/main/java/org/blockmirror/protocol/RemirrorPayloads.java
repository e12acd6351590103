package org.blockmirror.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * Payload layouts of the remirror exchange (frame types 10–19, protocol version 2), both ways.
 * Kept apart from {@link PayloadDecoder} and {@link FrameEncoder} so the exchange reads as one
 * unit; the tables are in docs/wire-protocol.md §4.8.
 */
final class RemirrorPayloads {

    static final int BEGIN_LENGTH = 17;
    static final int READY_LENGTH = 9;
    static final int RANGE_SUMS_FIXED = 12;
    static final int RANGE_ENTRY = 16;
    static final int DIFF_FIXED = 12;
    static final int BLOCK_SUMS_FIXED = 20;
    static final int DATA_FIXED = FrameHeader.REMIRROR_DATA_FIELDS_LENGTH;
    static final int ACK_FIXED = 12;
    static final int DONE_LENGTH = 16;
    static final int DONE_ACK_FIXED = 13;

    private RemirrorPayloads() {
    }

    static boolean isRemirror(Message m) {
        return m instanceof RemirrorBegin || m instanceof RemirrorReady || m instanceof RangeSums
                || m instanceof ChecksumDiff || m instanceof BlockSums || m instanceof RemirrorData
                || m instanceof RemirrorAck || m instanceof RemirrorDone || m instanceof RemirrorDoneAck;
    }

    // ---- encoding ----

    /** Writes the payload fields into {@code frame}; returns the data that follows (REMIRROR_DATA) or empty. */
    static ByteBuf encode(ByteBuf frame, Message msg) {
        if (msg instanceof RemirrorBegin b) {
            frame.writeByte(b.kind().code()).writeLong(b.dirtyChunks()).writeLong(b.dirtyBytes());
        } else if (msg instanceof RemirrorReady r) {
            frame.writeByte(r.syncState().code()).writeLong(r.appliedSeq());
        } else if (msg instanceof RangeSums s) {
            frame.writeLong(s.tag()).writeInt(s.ranges().size());
            for (ChecksumRange r : s.ranges()) {
                frame.writeLong(r.lba()).writeInt(r.blocks()).writeInt(r.crc());
            }
        } else if (msg instanceof ChecksumDiff d) {
            frame.writeLong(d.tag()).writeInt(d.count());
            byte[] bits = new byte[(d.count() + 7) / 8];
            byte[] set = d.differing().toByteArray(); // little-endian bit order, as on the wire
            System.arraycopy(set, 0, bits, 0, set.length);
            frame.writeBytes(bits);
        } else if (msg instanceof BlockSums s) {
            frame.writeLong(s.tag()).writeLong(s.lba()).writeInt(s.blocks());
            for (int i = 0; i < s.blocks(); i++) {
                frame.writeInt(s.crc(i));
            }
        } else if (msg instanceof RemirrorData d) {
            frame.writeLong(d.tag()).writeLong(d.lba()).writeInt(d.blockCount()).writeInt(d.dataCrc32c());
            return d.content();
        } else if (msg instanceof RemirrorAck a) {
            frame.writeLong(a.tag()).writeShort(a.status().code());
            writeMessage(frame, a.message());
        } else if (msg instanceof RemirrorDone d) {
            frame.writeLong(d.resumeSeq()).writeLong(d.consistentAtSeq());
        } else if (msg instanceof RemirrorDoneAck a) {
            frame.writeShort(a.status().code()).writeByte(a.syncState().code()).writeLong(a.appliedSeq());
            writeMessage(frame, a.message());
        } else {
            throw new IllegalStateException("not a remirror message: " + msg.getClass());
        }
        return Unpooled.EMPTY_BUFFER;
    }

    private static void writeMessage(ByteBuf frame, String message) {
        byte[] bytes = WireStrings.utf8(message);
        frame.writeShort(bytes.length);
        frame.writeBytes(bytes);
    }

    // ---- decoding ----

    static Message decode(FrameType type, ByteBuf p, int blockSize) {
        return switch (type) {
            case REMIRROR_BEGIN -> begin(p);
            case REMIRROR_READY -> ready(p);
            case RANGE_SUMS -> rangeSums(p);
            case RANGE_DIFF, BLOCK_DIFF -> diff(type, p);
            case BLOCK_SUMS -> blockSums(p);
            case REMIRROR_DATA -> data(p, blockSize);
            case REMIRROR_ACK -> ack(p);
            case REMIRROR_DONE -> done(p);
            case REMIRROR_DONE_ACK -> doneAck(p);
            default -> throw new IllegalArgumentException(type + " is not a remirror frame");
        };
    }

    private static RemirrorBegin begin(ByteBuf p) {
        PayloadDecoder.requireExactly(FrameType.REMIRROR_BEGIN, p, BEGIN_LENGTH, null, null);
        int code = p.getUnsignedByte(0);
        RemirrorKind kind = RemirrorKind.fromCode(code);
        if (kind == null) {
            throw new ProtocolException("REMIRROR_BEGIN: unknown remirror kind " + code);
        }
        long chunks = p.getLong(1);
        long bytes = p.getLong(9);
        if (chunks < 0 || bytes < 0) {
            throw new ProtocolException("REMIRROR_BEGIN: dirty chunks " + Long.toUnsignedString(chunks)
                    + " or bytes " + Long.toUnsignedString(bytes) + " above 2^63-1");
        }
        return new RemirrorBegin(kind, chunks, bytes);
    }

    private static RemirrorReady ready(ByteBuf p) {
        PayloadDecoder.requireExactly(FrameType.REMIRROR_READY, p, READY_LENGTH, null, null);
        RemoteSyncState state = syncState(FrameType.REMIRROR_READY, p.getUnsignedByte(0));
        long applied = p.getLong(1);
        if (applied < 0) {
            throw new ProtocolException("REMIRROR_READY: applied seq " + Long.toUnsignedString(applied)
                    + " is above 2^63-1");
        }
        return new RemirrorReady(state, applied);
    }

    private static RangeSums rangeSums(ByteBuf p) {
        PayloadDecoder.requireAtLeast(FrameType.RANGE_SUMS, p, RANGE_SUMS_FIXED, null);
        long tag = p.getLong(0);
        long count = p.getUnsignedInt(8);
        checkCount(FrameType.RANGE_SUMS, tag, count);
        PayloadDecoder.requireExactly(FrameType.RANGE_SUMS, p, (int) (RANGE_SUMS_FIXED + RANGE_ENTRY * count),
                "range count " + count, null);
        List<ChecksumRange> ranges = new ArrayList<>((int) count);
        for (int i = 0; i < count; i++) {
            int at = RANGE_SUMS_FIXED + RANGE_ENTRY * i;
            long lba = p.getLong(at);
            long blocks = p.getUnsignedInt(at + 8);
            checkBlocks(FrameType.RANGE_SUMS, tag, "range " + i, lba, blocks);
            ranges.add(new ChecksumRange(lba, (int) blocks, p.getInt(at + 12)));
        }
        return new RangeSums(tag, ranges);
    }

    private static ChecksumDiff diff(FrameType type, ByteBuf p) {
        PayloadDecoder.requireAtLeast(type, p, DIFF_FIXED, null);
        long tag = p.getLong(0);
        long count = p.getUnsignedInt(8);
        checkCount(type, tag, count);
        int bitmapBytes = (int) ((count + 7) / 8);
        PayloadDecoder.requireExactly(type, p, DIFF_FIXED + bitmapBytes, "entry count " + count, null);
        byte[] bits = new byte[bitmapBytes];
        p.getBytes(DIFF_FIXED, bits);
        BitSet differing = BitSet.valueOf(bits);
        if (differing.length() > count) {
            throw new ProtocolException(type + " tag " + tag + ": bit " + (differing.length() - 1)
                    + " is set, but there are only " + count + " entries (padding bits must be 0)");
        }
        return new ChecksumDiff(type, tag, (int) count, differing);
    }

    private static BlockSums blockSums(ByteBuf p) {
        PayloadDecoder.requireAtLeast(FrameType.BLOCK_SUMS, p, BLOCK_SUMS_FIXED, null);
        long tag = p.getLong(0);
        long lba = p.getLong(8);
        long count = p.getUnsignedInt(16);
        checkCount(FrameType.BLOCK_SUMS, tag, count);
        PayloadDecoder.requireExactly(FrameType.BLOCK_SUMS, p, (int) (BLOCK_SUMS_FIXED + 4 * count),
                "block count " + count, null);
        checkBlocks(FrameType.BLOCK_SUMS, tag, "blocks", lba, count);
        int[] crcs = new int[(int) count];
        for (int i = 0; i < count; i++) {
            crcs[i] = p.getInt(BLOCK_SUMS_FIXED + 4 * i);
        }
        return new BlockSums(tag, lba, crcs);
    }

    private static RemirrorData data(ByteBuf p, int blockSize) {
        PayloadDecoder.requireAtLeast(FrameType.REMIRROR_DATA, p, DATA_FIXED, null);
        long tag = p.getLong(0);
        long lba = p.getLong(8);
        long blocks = p.getUnsignedInt(16);
        int crc = p.getInt(20);
        String what = "REMIRROR_DATA tag " + Long.toUnsignedString(tag);
        if (blockSize == 0) {
            throw new ProtocolException(what + " arrived before the handshake set the block size");
        }
        checkBlocks(FrameType.REMIRROR_DATA, tag, "blocks", lba, blocks);
        long dataLength = p.readableBytes() - DATA_FIXED;
        if (dataLength != blocks * blockSize) {
            throw new ProtocolException(what + ": data length " + dataLength + " is not block count " + blocks
                    + " × block size " + blockSize);
        }
        // every field is checked, so the constructor cannot throw with the data retained
        return new RemirrorData(tag, lba, (int) blocks, crc, p.retainedSlice(DATA_FIXED, (int) dataLength));
    }

    private static RemirrorAck ack(ByteBuf p) {
        PayloadDecoder.requireAtLeast(FrameType.REMIRROR_ACK, p, ACK_FIXED, null);
        long tag = p.getLong(0);
        int code = p.getUnsignedShort(8);
        RemirrorStatus status = RemirrorStatus.fromCode(code);
        if (status == null) {
            throw new ProtocolException("REMIRROR_ACK tag " + Long.toUnsignedString(tag) + ": unknown status " + code);
        }
        return new RemirrorAck(tag, status, PayloadDecoder.message(FrameType.REMIRROR_ACK, p, 10));
    }

    private static RemirrorDone done(ByteBuf p) {
        PayloadDecoder.requireExactly(FrameType.REMIRROR_DONE, p, DONE_LENGTH, null, null);
        long resume = p.getLong(0);
        long consistentAt = p.getLong(8);
        if (resume < 1) {
            throw new ProtocolException("REMIRROR_DONE: resume seq " + Long.toUnsignedString(resume)
                    + " is not in 1..2^63-1");
        }
        if (consistentAt < 0) {
            throw new ProtocolException("REMIRROR_DONE: consistent-at seq " + Long.toUnsignedString(consistentAt)
                    + " is above 2^63-1");
        }
        return new RemirrorDone(resume, consistentAt);
    }

    private static RemirrorDoneAck doneAck(ByteBuf p) {
        PayloadDecoder.requireAtLeast(FrameType.REMIRROR_DONE_ACK, p, DONE_ACK_FIXED, null);
        int code = p.getUnsignedShort(0);
        RemirrorStatus status = RemirrorStatus.fromCode(code);
        if (status == null) {
            throw new ProtocolException("REMIRROR_DONE_ACK: unknown status " + code);
        }
        RemoteSyncState state = syncState(FrameType.REMIRROR_DONE_ACK, p.getUnsignedByte(2));
        long applied = p.getLong(3);
        if (applied < 0) {
            throw new ProtocolException("REMIRROR_DONE_ACK: applied seq " + Long.toUnsignedString(applied)
                    + " is above 2^63-1");
        }
        return new RemirrorDoneAck(status, state, applied, PayloadDecoder.message(FrameType.REMIRROR_DONE_ACK, p, 11));
    }

    private static RemoteSyncState syncState(FrameType type, int code) {
        RemoteSyncState state = RemoteSyncState.fromCode(code);
        if (state == null) {
            throw new ProtocolException(type + ": unknown sync state " + code);
        }
        return state;
    }

    private static void checkCount(FrameType type, long tag, long count) {
        if (count < 1 || count > RangeSums.MAX_RANGES) {
            throw new ProtocolException(type + " tag " + Long.toUnsignedString(tag) + ": entry count " + count
                    + " is not in 1.." + RangeSums.MAX_RANGES);
        }
    }

    private static void checkBlocks(FrameType type, long tag, String what, long lba, long blocks) {
        if (lba < 0) {
            throw new ProtocolException(type + " tag " + Long.toUnsignedString(tag) + ": " + what + " LBA "
                    + Long.toUnsignedString(lba) + " is above 2^63-1");
        }
        if (blocks < 1 || blocks > Integer.MAX_VALUE || lba > Long.MAX_VALUE - blocks) {
            throw new ProtocolException(type + " tag " + Long.toUnsignedString(tag) + ": " + what + " of " + blocks
                    + " blocks at LBA " + lba + " is not 1..2^31-1 blocks below 2^63");
        }
    }
}
