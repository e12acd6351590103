package org.blockmirror.journal;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Bytes appended since the last write-out, destined for consecutive region positions.
 * At most one wrap to the region start can occur inside the buffer (its contents never span
 * more than the region), so a write-out is one positional write, or two at the wrap. The PAD
 * filler after a PAD header is never buffered nor written: it is free space.
 * Used by the committer thread only.
 */
final class CommitBuffer {
    private final ByteBuffer buffer;
    private final long regionOffset;
    private final long regionSize;
    private long startPosition = -1;   // logical position of buffer byte 0
    private long nextPosition = -1;    // logical position the next byte must have
    private int wrapIndex = -1;        // buffer index whose byte goes to region offset 0

    CommitBuffer(int capacity, long regionOffset, long regionSize) {
        // Direct: a FileChannel writes a heap buffer by first copying it into a temporary direct one.
        this.buffer = ByteBuffer.allocateDirect(capacity);
        this.regionOffset = regionOffset;
        this.regionSize = regionSize;
    }

    boolean isEmpty() {
        return buffer.position() == 0;
    }

    int remaining() {
        return buffer.remaining();
    }

    /**
     * Returns the buffer to write {@code length} bytes into, for the logical region
     * {@code position}. The caller fills exactly {@code length} bytes.
     */
    ByteBuffer claim(long position, int length) {
        if (length > buffer.remaining()) {
            throw new IllegalStateException("commit buffer overflow");
        }
        if (isEmpty()) {
            startPosition = position;
        } else if (position != nextPosition) {
            // Only a jump to the start of the next lap (after a PAD or at the exact end) is allowed.
            if (position % regionSize != 0 || wrapIndex >= 0 || position < nextPosition) {
                throw new IllegalStateException("non-contiguous append at " + position + ", expected " + nextPosition);
            }
            wrapIndex = buffer.position();
        } else if (position % regionSize == 0 && position != startPosition) {
            wrapIndex = buffer.position();
        }
        nextPosition = position + length;
        return buffer;
    }

    /** Writes the buffered bytes to their places (one or two writes) and empties the buffer. */
    void writeTo(JournalFile file) throws IOException {
        if (isEmpty()) {
            return;
        }
        buffer.flip();
        long startOffset = regionOffset + startPosition % regionSize;
        if (wrapIndex < 0) {
            file.write(startOffset, buffer);
        } else {
            ByteBuffer beforeWrap = buffer.duplicate().limit(wrapIndex);
            file.write(startOffset, beforeWrap);
            file.write(regionOffset, buffer.position(wrapIndex));
        }
        buffer.clear();
        startPosition = -1;
        nextPosition = -1;
        wrapIndex = -1;
    }

    /** Drops the buffered bytes after a failed write; the journal is unusable afterwards anyway. */
    void discard() {
        buffer.clear();
        startPosition = -1;
        nextPosition = -1;
        wrapIndex = -1;
    }
}
