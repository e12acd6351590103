package org.blockmirror.volume;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A backing store addressed by byte offset: the local or remote copy of the mirrored disk.
 *
 * <p>Reads and writes are positional and may run concurrently from several threads; a write
 * is durable only after {@link #flush()} returns. Offsets and lengths given to a volume are
 * multiples of {@link #blockSize()}; implementations check the range and fail with a
 * {@link VolumeException} rather than extending the store.
 */
public interface Volume extends AutoCloseable {

    /** Block size in bytes that all I/O is aligned to. */
    int blockSize();

    /** Usable size in bytes (a whole number of blocks). */
    long sizeBytes();

    default long blockCount() {
        return sizeBytes() / blockSize();
    }

    /** Fills {@code dst} completely from {@code offset}. */
    void read(long offset, ByteBuffer dst) throws IOException;

    /** Writes all remaining bytes of {@code src} at {@code offset}. */
    void write(long offset, ByteBuffer src) throws IOException;

    /** Makes every completed write durable (fdatasync). */
    void flush() throws IOException;

    /** A short human-readable name (the path) for logs and status. */
    String describe();

    @Override
    void close() throws IOException;
}
