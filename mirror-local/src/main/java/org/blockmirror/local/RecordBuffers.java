package org.blockmirror.local;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.ByteBuffer;
import java.util.function.IntFunction;

/**
 * Pooled direct buffers that the journal reader reads record data into, and that the transport
 * then sends as they are: no heap array per record, no copy into a direct buffer on the way to
 * the socket.
 *
 * <p>Ownership: {@link #apply} allocates a buffer and keeps it as the <em>untaken</em> one;
 * {@link #take} hands it over (to a {@code Write}, released once sent); whatever is not taken —
 * the read failed, or the session ended before the record was sent — is released by
 * {@link #discardUntaken}, or by the next {@link #apply}. One thread only (the replicator's).
 */
final class RecordBuffers implements IntFunction<ByteBuffer> {

    private final ByteBufAllocator allocator;
    private ByteBuf untaken;

    RecordBuffers(ByteBufAllocator allocator) {
        this.allocator = allocator;
    }

    /** A direct buffer of exactly {@code length} bytes, shared with the ByteBuf {@link #take} returns. */
    @Override
    public ByteBuffer apply(int length) {
        discardUntaken();
        untaken = allocator.directBuffer(length, length);
        return untaken.nioBuffer(0, length);
    }

    /** The buffer last handed to the reader, now filled with {@code length} readable bytes; the caller owns it. */
    ByteBuf take(int length) {
        if (untaken == null) {
            throw new IllegalStateException("no record buffer to take");
        }
        ByteBuf b = untaken.writerIndex(length);
        untaken = null;
        return b;
    }

    /** Releases a buffer that was filled but never taken. */
    void discardUntaken() {
        if (untaken != null) {
            ByteBuf b = untaken;
            untaken = null;
            b.release();
        }
    }

    /** Whether a buffer is held that was not taken (for tests). */
    boolean holdsUntaken() {
        return untaken != null;
    }
}
