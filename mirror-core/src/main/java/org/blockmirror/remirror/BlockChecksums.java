package org.blockmirror.remirror;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * The checksums remirror compares, computed the same way on both units (docs/wire-protocol.md
 * §4.8): the CRC32C of each block, and for a range of blocks the CRC32C over the big-endian u32
 * block CRCs of the range in order. A range checksum is therefore a checksum of checksums: the
 * local unit computes the block CRCs once, and both levels of the exchange reuse them.
 */
public final class BlockChecksums {

    private BlockChecksums() {
    }

    /** The CRC32C of each {@code blockSize}-byte block of {@code data} (its remaining bytes, a whole number of blocks). */
    public static int[] ofBlocks(ByteBuffer data, int blockSize) {
        int n = data.remaining() / blockSize;
        if (n * blockSize != data.remaining()) {
            throw new IllegalArgumentException(data.remaining() + " bytes are not a whole number of "
                    + blockSize + "-byte blocks");
        }
        int[] crcs = new int[n];
        CRC32C crc = new CRC32C();
        ByteBuffer view = data.duplicate();
        for (int i = 0; i < n; i++) {
            int at = data.position() + i * blockSize;
            view.limit(at + blockSize).position(at);
            crc.reset();
            crc.update(view);
            crcs[i] = (int) crc.getValue();
        }
        return crcs;
    }

    /** The range checksum of blocks {@code [from, from + count)} of {@code blockCrcs}. */
    public static int ofRange(int[] blockCrcs, int from, int count) {
        CRC32C crc = new CRC32C();
        byte[] be = new byte[4];
        for (int i = from; i < from + count; i++) {
            int v = blockCrcs[i];
            be[0] = (byte) (v >>> 24);
            be[1] = (byte) (v >>> 16);
            be[2] = (byte) (v >>> 8);
            be[3] = (byte) v;
            crc.update(be, 0, 4);
        }
        return (int) crc.getValue();
    }

    /** The range checksum of all of {@code blockCrcs}. */
    public static int ofRange(int[] blockCrcs) {
        return ofRange(blockCrcs, 0, blockCrcs.length);
    }
}
