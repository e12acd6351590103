package org.blockmirror.journal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/**
 * Positional I/O on the journal's file or block device. Never extends it: every access is
 * checked against the size seen at open. Reads may run concurrently from any thread.
 */
final class JournalFile implements AutoCloseable {
    private final Path path;
    private final FileChannel channel;
    private final long size;

    JournalFile(Path path, FileChannel channel, long size) {
        this.path = path;
        this.channel = channel;
        this.size = size;
    }

    Path path() {
        return path;
    }

    long size() {
        return size;
    }

    /** Fills {@code dst} from {@code offset}. */
    void read(long offset, ByteBuffer dst) throws IOException {
        check(offset, dst.remaining());
        long pos = offset;
        while (dst.hasRemaining()) {
            int n = channel.read(dst, pos);
            if (n < 0) {
                throw new JournalException("journal " + path + ": unexpected end of file at offset " + pos);
            }
            pos += n;
        }
    }

    /** Writes all of {@code src} at {@code offset} (not durable until {@link #force()}). */
    void write(long offset, ByteBuffer src) throws IOException {
        check(offset, src.remaining());
        long pos = offset;
        while (src.hasRemaining()) {
            pos += channel.write(src, pos);
        }
    }

    /** fdatasync: every completed write is on stable storage when this returns. */
    void force() throws IOException {
        channel.force(false);
    }

    private void check(long offset, int length) throws JournalException {
        if (offset < 0 || offset + length > size) {
            throw new JournalException("journal " + path + ": I/O at offset " + offset + " length " + length
                    + " is outside the journal (" + size + " bytes)");
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
