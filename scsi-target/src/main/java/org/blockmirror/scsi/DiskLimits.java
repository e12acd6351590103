package org.blockmirror.scsi;

/**
 * Limits the disk advertises in VPD 0xB0 (Block Limits) and enforces.
 *
 * @param maxTransferBlocks       largest READ/WRITE/VERIFY/WRITE AND VERIFY transfer; larger → INVALID FIELD IN CDB
 * @param optimalTransferBlocks   OPTIMAL TRANSFER LENGTH (0 = not reported)
 * @param maxUnmapBlocks          MAXIMUM UNMAP LBA COUNT (sum over one UNMAP command)
 * @param maxUnmapDescriptors     MAXIMUM UNMAP BLOCK DESCRIPTOR COUNT
 * @param maxWriteSameBlocks      MAXIMUM WRITE SAME LENGTH
 * @param maxCompareAndWriteBlocks MAXIMUM COMPARE AND WRITE LENGTH (1..255)
 */
public record DiskLimits(int maxTransferBlocks, int optimalTransferBlocks, long maxUnmapBlocks,
                         int maxUnmapDescriptors, long maxWriteSameBlocks, int maxCompareAndWriteBlocks) {

    public DiskLimits {
        if (maxTransferBlocks < 1) {
            throw new IllegalArgumentException("maxTransferBlocks must be at least 1, was " + maxTransferBlocks);
        }
        if (optimalTransferBlocks < 0 || optimalTransferBlocks > maxTransferBlocks) {
            throw new IllegalArgumentException("optimalTransferBlocks must be 0..maxTransferBlocks, was " + optimalTransferBlocks);
        }
        if (maxUnmapBlocks < 1 || maxUnmapBlocks > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("maxUnmapBlocks must be 1..2^32-1, was " + maxUnmapBlocks);
        }
        if (maxUnmapDescriptors < 1) {
            throw new IllegalArgumentException("maxUnmapDescriptors must be at least 1, was " + maxUnmapDescriptors);
        }
        if (maxWriteSameBlocks < 1) {
            throw new IllegalArgumentException("maxWriteSameBlocks must be at least 1, was " + maxWriteSameBlocks);
        }
        if (maxCompareAndWriteBlocks < 1 || maxCompareAndWriteBlocks > 255) {
            throw new IllegalArgumentException("maxCompareAndWriteBlocks must be 1..255, was " + maxCompareAndWriteBlocks);
        }
    }

    /**
     * Defaults sized for the given block size: 8 MiB transfers, 1 GiB write same, unmap 1 GiB
     * but at most 2^20 blocks per command (initiators such as libiscsi's conformance suite treat a
     * larger MAXIMUM UNMAP LBA COUNT as implausible).
     */
    public static DiskLimits defaults(int blockSize) {
        int maxTransfer = (8 << 20) / blockSize;
        long gib = (1L << 30) / blockSize;
        return new DiskLimits(maxTransfer, maxTransfer, Math.min(gib, 1L << 20), 256, gib, 16);
    }

    public DiskLimits withMaxTransferBlocks(int blocks) {
        return new DiskLimits(blocks, Math.min(optimalTransferBlocks, blocks), maxUnmapBlocks, maxUnmapDescriptors,
                maxWriteSameBlocks, maxCompareAndWriteBlocks);
    }

    public DiskLimits withUnmap(long maxBlocks, int maxDescriptors) {
        return new DiskLimits(maxTransferBlocks, optimalTransferBlocks, maxBlocks, maxDescriptors,
                maxWriteSameBlocks, maxCompareAndWriteBlocks);
    }

    public DiskLimits withMaxWriteSameBlocks(long blocks) {
        return new DiskLimits(maxTransferBlocks, optimalTransferBlocks, maxUnmapBlocks, maxUnmapDescriptors,
                blocks, maxCompareAndWriteBlocks);
    }

    public DiskLimits withMaxCompareAndWriteBlocks(int blocks) {
        return new DiskLimits(maxTransferBlocks, optimalTransferBlocks, maxUnmapBlocks, maxUnmapDescriptors,
                maxWriteSameBlocks, blocks);
    }
}
