package org.blockmirror.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.DefaultByteBufHolder;
import io.netty.buffer.Unpooled;
import java.util.Objects;

/**
 * Remote → local, fail-over (docs/wire-protocol.md §4.12): the answer to the {@link Read} with
 * {@code requestId}. With {@link ReadStatus#OK} it carries the blocks read and the CRC32C the
 * remote computed over them when it read them; any other status carries no data (CRC 0).
 * {@code appliedSeq} is what the remote had applied when it read (at least the READ's seq to see
 * when OK).
 *
 * <p>Ownership as for {@link Write}: a {@code ReadData} owns its data; whoever holds it releases it
 * once. A decoded one's data is a retained slice of the receive buffer.
 */
public final class ReadData extends DefaultByteBufHolder implements Message {

    /** Fixed part of the payload, before the data; the frame CRC32C covers only these bytes. */
    public static final int FIELDS_LENGTH = 21;

    private final long requestId;
    private final ReadStatus status;
    private final long appliedSeq;
    private final int dataCrc32c;

    /**
     * @param data the blocks (OK) or empty (any other status); ownership passes to this object
     *     unless the constructor throws
     */
    public ReadData(long requestId, ReadStatus status, long appliedSeq, int dataCrc32c, ByteBuf data) {
        super(Objects.requireNonNull(data, "data"));
        Objects.requireNonNull(status, "status");
        if (appliedSeq < 0) {
            throw new IllegalArgumentException("applied seq " + Long.toUnsignedString(appliedSeq) + " is above 2^63-1");
        }
        String problem = inconsistency(status, data.readableBytes(), dataCrc32c);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
        this.requestId = requestId;
        this.status = status;
        this.appliedSeq = appliedSeq;
        this.dataCrc32c = dataCrc32c;
    }

    /** The blocks read, with their CRC32C computed here. */
    public static ReadData ok(long requestId, long appliedSeq, ByteBuf data) {
        return new ReadData(requestId, ReadStatus.OK, appliedSeq, ByteBufCrc32c.of(data), data);
    }

    /** A refusal or failure: no data. */
    public static ReadData failed(long requestId, ReadStatus status, long appliedSeq) {
        return new ReadData(requestId, status, appliedSeq, 0, Unpooled.EMPTY_BUFFER);
    }

    /** Why these fields cannot go together, or null. */
    static String inconsistency(ReadStatus status, int dataLength, int dataCrc32c) {
        if (status == ReadStatus.OK && dataLength == 0) {
            return "status OK carries no data";
        }
        if (status != ReadStatus.OK && (dataLength != 0 || dataCrc32c != 0)) {
            return "status " + status + " carries " + dataLength + " bytes of data and CRC32C 0x"
                    + String.format("%08x", dataCrc32c) + ", must carry none and 0";
        }
        return null;
    }

    @Override
    public FrameType frameType() {
        return FrameType.READ_DATA;
    }

    public long requestId() {
        return requestId;
    }

    public ReadStatus status() {
        return status;
    }

    public long appliedSeq() {
        return appliedSeq;
    }

    public int dataCrc32c() {
        return dataCrc32c;
    }

    /** Whether the data still matches the CRC32C the remote computed when it read it. */
    public boolean dataCrcMatches() {
        return ByteBufCrc32c.of(content()) == dataCrc32c;
    }

    @Override
    public ReadData replace(ByteBuf content) {
        return new ReadData(requestId, status, appliedSeq, dataCrc32c, content);
    }

    @Override
    public ReadData retain() {
        super.retain();
        return this;
    }

    @Override
    public ReadData retain(int increment) {
        super.retain(increment);
        return this;
    }

    @Override
    public ReadData touch() {
        super.touch();
        return this;
    }

    @Override
    public ReadData touch(Object hint) {
        super.touch(hint);
        return this;
    }

    /** Equal when every field and the data bytes are equal. */
    @Override
    public boolean equals(Object o) {
        return o instanceof ReadData r && requestId == r.requestId && status == r.status
                && appliedSeq == r.appliedSeq && dataCrc32c == r.dataCrc32c
                && ByteBufUtil.equals(content(), r.content());
    }

    @Override
    public int hashCode() {
        return Long.hashCode(requestId);
    }

    @Override
    public String toString() {
        return "ReadData[requestId=" + requestId + ", status=" + status + ", appliedSeq=" + appliedSeq
                + ", dataCrc32c=0x" + Integer.toHexString(dataCrc32c)
                + ", dataLength=" + (refCnt() > 0 ? content().readableBytes() : "released") + "]";
    }
}
