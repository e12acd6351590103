package org.blockmirror.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.DefaultByteBufHolder;
import io.netty.buffer.Unpooled;
import java.util.Objects;

/**
 * One journal record on its way to the remote: WRITE of {@code blockCount} blocks at {@code lba},
 * or TRIM of them.
 *
 * <p>Ownership: a {@code Write} owns its {@link #content() data} and is reference-counted through
 * it; {@link #release()} releases the data. Whoever holds a {@code Write} releases it once (the
 * encoder does so for writes it sends; the receiving handler for writes it is handed by the
 * decoder). A decoded {@code Write}'s data is a retained slice of the decoder's receive buffer:
 * no copy, valid until released.
 */
public final class Write extends DefaultByteBufHolder implements Message {

    private final long seq;
    private final long timestampMillis;
    private final RecordType recordType;
    private final long lba;
    private final int blockCount;
    private final int dataCrc32c;

    /**
     * @param seq sequence number, 1..2^63-1; the remote applies in this order
     * @param timestampMillis wall-clock time the host wrote the record (informational)
     * @param lba first logical block, 0..2^63-1
     * @param blockCount number of blocks, at least 1
     * @param dataCrc32c CRC32C of {@code data} as recorded in the journal (0 for TRIM)
     * @param data {@code blockCount} × block size bytes for WRITE, empty for TRIM; ownership passes
     *     to this object, unless the constructor throws
     * @throws IllegalArgumentException if a field is out of range (the caller still owns {@code data})
     */
    public Write(long seq, long timestampMillis, RecordType recordType, long lba, int blockCount,
            int dataCrc32c, ByteBuf data) {
        super(Objects.requireNonNull(data, "data"));
        checkSeq(seq);
        Objects.requireNonNull(recordType, "recordType");
        if (lba < 0) {
            throw new IllegalArgumentException("LBA " + Long.toUnsignedString(lba) + " is above 2^63-1");
        }
        if (blockCount < 1) {
            throw new IllegalArgumentException("block count " + Integer.toUnsignedString(blockCount)
                    + " is not in 1..2^31-1");
        }
        int length = data.readableBytes();
        switch (recordType) {
            case WRITE -> {
                if (length == 0 || length % blockCount != 0) {
                    throw new IllegalArgumentException("WRITE seq " + seq + ": data length " + length
                            + " is not a positive multiple of block count " + blockCount);
                }
            }
            case TRIM -> {
                if (length != 0) {
                    throw new IllegalArgumentException("TRIM seq " + seq + " carries " + length
                            + " bytes of data, must carry none");
                }
            }
        }
        this.seq = seq;
        this.timestampMillis = timestampMillis;
        this.recordType = recordType;
        this.lba = lba;
        this.blockCount = blockCount;
        this.dataCrc32c = dataCrc32c;
    }

    /** A WRITE record whose data CRC32C is computed here. */
    public static Write ofData(long seq, long timestampMillis, long lba, int blockCount, ByteBuf data) {
        return new Write(seq, timestampMillis, RecordType.WRITE, lba, blockCount, ByteBufCrc32c.of(data), data);
    }

    /** A TRIM record (no data; data CRC32C 0, the CRC32C of nothing). */
    public static Write trim(long seq, long timestampMillis, long lba, int blockCount) {
        return new Write(seq, timestampMillis, RecordType.TRIM, lba, blockCount, 0, Unpooled.EMPTY_BUFFER);
    }

    static void checkSeq(long seq) {
        if (seq < 1) {
            throw new IllegalArgumentException("seq " + Long.toUnsignedString(seq) + " is not in 1..2^63-1");
        }
    }

    @Override
    public FrameType frameType() {
        return FrameType.WRITE;
    }

    public long seq() {
        return seq;
    }

    public long timestampMillis() {
        return timestampMillis;
    }

    public RecordType recordType() {
        return recordType;
    }

    public long lba() {
        return lba;
    }

    public int blockCount() {
        return blockCount;
    }

    public int dataCrc32c() {
        return dataCrc32c;
    }

    /** Whether the data still matches the CRC32C the journal recorded (the remote NAKs CRC_MISMATCH otherwise). */
    public boolean dataCrcMatches() {
        return computeDataCrc() == dataCrc32c;
    }

    /** The CRC32C of the data as held now (what a remote in verified ack mode reports in VERIFY). */
    public int computeDataCrc() {
        return ByteBufCrc32c.of(content());
    }

    @Override
    public Write replace(ByteBuf content) {
        return new Write(seq, timestampMillis, recordType, lba, blockCount, dataCrc32c, content);
    }

    @Override
    public Write copy() {
        return (Write) super.copy();
    }

    @Override
    public Write duplicate() {
        return (Write) super.duplicate();
    }

    @Override
    public Write retainedDuplicate() {
        return (Write) super.retainedDuplicate();
    }

    @Override
    public Write retain() {
        super.retain();
        return this;
    }

    @Override
    public Write retain(int increment) {
        super.retain(increment);
        return this;
    }

    @Override
    public Write touch() {
        super.touch();
        return this;
    }

    @Override
    public Write touch(Object hint) {
        super.touch(hint);
        return this;
    }

    /** Equal when every field and the data bytes are equal. */
    @Override
    public boolean equals(Object o) {
        return o instanceof Write w
                && seq == w.seq && timestampMillis == w.timestampMillis && recordType == w.recordType
                && lba == w.lba && blockCount == w.blockCount && dataCrc32c == w.dataCrc32c
                && ByteBufUtil.equals(content(), w.content());
    }

    @Override
    public int hashCode() {
        return Long.hashCode(seq) * 31 + Long.hashCode(lba);
    }

    @Override
    public String toString() {
        return "Write[seq=" + seq + ", timestampMillis=" + timestampMillis + ", type=" + recordType
                + ", lba=" + lba + ", blockCount=" + blockCount
                + ", dataCrc32c=0x" + Integer.toHexString(dataCrc32c)
                + ", dataLength=" + (refCnt() > 0 ? content().readableBytes() : "released") + "]";
    }
}
