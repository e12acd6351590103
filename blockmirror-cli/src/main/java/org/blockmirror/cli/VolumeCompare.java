package org.blockmirror.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Byte-for-byte comparison of two volumes (files or block devices). */
public final class VolumeCompare {
    private VolumeCompare() {
    }

    /** Returns -1 if both have the same size and content, else the first differing offset. */
    public static long firstDifference(Path a, Path b) throws IOException {
        try (FileChannel ca = FileChannel.open(a, StandardOpenOption.READ);
             FileChannel cb = FileChannel.open(b, StandardOpenOption.READ)) {
            long size = Math.min(ca.size(), cb.size());
            ByteBuffer ba = ByteBuffer.allocateDirect(1 << 20);
            ByteBuffer bb = ByteBuffer.allocateDirect(1 << 20);
            for (long pos = 0; pos < size; pos += ba.capacity()) {
                int n = (int) Math.min(ba.capacity(), size - pos);
                ba.clear().limit(n);
                bb.clear().limit(n);
                readFully(ca, ba, pos);
                readFully(cb, bb, pos);
                ba.flip();
                bb.flip();
                int mismatch = ba.mismatch(bb);
                if (mismatch >= 0) {
                    return pos + mismatch;
                }
            }
            return ca.size() == cb.size() ? -1 : size;
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long pos) throws IOException {
        while (buf.hasRemaining()) {
            if (ch.read(buf, pos + buf.position()) < 0) {
                break;
            }
        }
    }
}
