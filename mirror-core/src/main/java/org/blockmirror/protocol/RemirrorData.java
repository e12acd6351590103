package org.blockmirror.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.DefaultByteBufHolder;
import java.util.Objects;

/**
 * Local → remote: blocks that differ, to be written by the remirror (type 16). Answered by {@link RemirrorAck} with the same tag.
 *
 * <p>Ownership as for {@link Write}: the message owns its data and {@link #release()} releases
 * it; a decoded one holds a retained slice of the receive buffer. The frame CRC covers the fixed
 * fields only; the data is covered by {@code dataCrc32c}, which the remote checks before writing.
 */
public final class RemirrorData extends DefaultByteBufHolder implements Message {

    private final long tag;
    private final long lba;
    private final int blockCount;
    private final int dataCrc32c;

    /**
     * @param data {@code blockCount} × block size bytes; ownership passes to this object unless the
     *     constructor throws
     */
    public RemirrorData(long tag, long lba, int blockCount, int dataCrc32c, ByteBuf data) {
        super(Objects.requireNonNull(data, "data"));
        if (lba < 0) {
            throw new IllegalArgumentException("LBA " + Long.toUnsignedString(lba) + " is above 2^63-1");
        }
        if (blockCount < 1) {
            throw new IllegalArgumentException("block count " + Integer.toUnsignedString(blockCount)
                    + " is not in 1..2^31-1");
        }
        int length = data.readableBytes();
        if (length == 0 || length % blockCount != 0) {
            throw new IllegalArgumentException("REMIRROR_DATA tag " + tag + ": data length " + length
                    + " is not a positive multiple of block count " + blockCount);
        }
        this.tag = tag;
        this.lba = lba;
        this.blockCount = blockCount;
        this.dataCrc32c = dataCrc32c;
    }

    /** With the data CRC32C computed here. */
    public static RemirrorData of(long tag, long lba, int blockCount, ByteBuf data) {
        return new RemirrorData(tag, lba, blockCount, ByteBufCrc32c.of(data), data);
    }

    @Override
    public FrameType frameType() {
        return FrameType.REMIRROR_DATA;
    }

    public long tag() {
        return tag;
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

    public boolean dataCrcMatches() {
        return ByteBufCrc32c.of(content()) == dataCrc32c;
    }

    @Override
    public RemirrorData replace(ByteBuf content) {
        return new RemirrorData(tag, lba, blockCount, dataCrc32c, content);
    }

    @Override
    public RemirrorData retain() {
        super.retain();
        return this;
    }

    @Override
    public RemirrorData retain(int increment) {
        super.retain(increment);
        return this;
    }

    @Override
    public RemirrorData touch() {
        super.touch();
        return this;
    }

    @Override
    public RemirrorData touch(Object hint) {
        super.touch(hint);
        return this;
    }

    /** Equal when every field and the data bytes are equal. */
    @Override
    public boolean equals(Object o) {
        return o instanceof RemirrorData d && tag == d.tag && lba == d.lba && blockCount == d.blockCount
                && dataCrc32c == d.dataCrc32c && ByteBufUtil.equals(content(), d.content());
    }

    @Override
    public int hashCode() {
        return Long.hashCode(tag) * 31 + Long.hashCode(lba);
    }

    @Override
    public String toString() {
        return "RemirrorData[tag=" + tag + ", lba=" + lba + ", blockCount=" + blockCount
                + ", dataCrc32c=0x" + Integer.toHexString(dataCrc32c)
                + ", dataLength=" + (refCnt() > 0 ? content().readableBytes() : "released") + "]";
    }
}
