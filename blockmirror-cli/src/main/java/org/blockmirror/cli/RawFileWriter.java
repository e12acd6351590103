package org.blockmirror.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The disk's own figure for the benchmark: sequential positional writes of one size to an
 * already allocated file, made durable with one fdatasync per batch — the same I/O and the
 * same durability discipline as the local unit's volume stage, without anything else around it.
 */
final class RawFileWriter {

    /** What one run achieved. */
    record Result(long bytes, long syncs, long nanos) {

        double seconds() {
            return nanos / 1e9;
        }

        double mibPerSecond() {
            return bytes / (1024.0 * 1024.0) / seconds();
        }
    }

    private RawFileWriter() {
    }

    /**
     * Writes {@code totalBytes} (rounded up to whole writes) from offset 0 of {@code file},
     * wrapping to 0 at its end, with {@code force(false)} after every {@code syncEveryBytes}
     * and after the last write.
     *
     * @param payload the content of every write (its remaining bytes); not changed
     */
    static Result write(Path file, ByteBuffer payload, long totalBytes, long syncEveryBytes) throws IOException {
        int writeBytes = payload.remaining();
        ByteBuffer direct = ByteBuffer.allocateDirect(writeBytes).put(payload.duplicate()).flip();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            long fileBytes = ch.size();
            if (fileBytes < writeBytes) {
                throw new IOException(file + " (" + fileBytes + " bytes) cannot hold a write of " + writeBytes + " bytes");
            }
            long writes = (totalBytes + writeBytes - 1) / writeBytes;
            long syncs = 0;
            long sinceSync = 0;
            long pos = 0;
            long start = System.nanoTime();
            for (long i = 0; i < writes; i++) {
                if (pos + writeBytes > fileBytes) {
                    pos = 0;
                }
                ByteBuffer src = direct.duplicate();
                long at = pos;
                while (src.hasRemaining()) {
                    at += ch.write(src, at);
                }
                pos += writeBytes;
                sinceSync += writeBytes;
                if (sinceSync >= syncEveryBytes || i == writes - 1) {
                    ch.force(false);
                    syncs++;
                    sinceSync = 0;
                }
            }
            return new Result(writes * writeBytes, syncs, System.nanoTime() - start);
        }
    }
}
