package org.blockmirror.scsi;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * UNMAP and WRITE SAME 10/16. Trimmed blocks read back as zeros (VPD 0xB2 LBPRZ=1), so a
 * WRITE SAME of zeros with the UNMAP bit (or NDOB) is carried out as a trim.
 */
final class ProvisioningCommands {

    /** WRITE SAME without UNMAP writes the pattern in chunks of at most this many bytes. */
    static final int WRITE_SAME_CHUNK_BYTES = 1 << 20;

    private static final int UNMAP_HEADER = 8;
    private static final int UNMAP_DESCRIPTOR = 16;

    private final DeviceIo io;
    private final BlockRangeLock lock;
    private final DiskLimits limits;

    ProvisioningCommands(DeviceIo io, BlockRangeLock lock, DiskLimits limits) {
        this.io = io;
        this.lock = lock;
        this.limits = limits;
    }

    record Extent(long lba, long blocks) {
    }

    /**
     * UNMAP (SBC-3 5.28). The whole parameter list is validated before anything is trimmed, so
     * a rejected command changes nothing.
     */
    CompletableFuture<ScsiResponse> unmap(Cdb cdb, ScsiRequest request) {
        int listLength = cdb.u16(7);
        if (listLength == 0) {
            return CommandSupport.GOOD; // not an error: nothing to unmap
        }
        if (listLength < UNMAP_HEADER) {
            throw ScsiFailure.check(Sense.illegalRequest(AdditionalSense.PARAMETER_LIST_LENGTH_ERROR));
        }
        ByteBuffer list = CommandSupport.dataOut(request, listLength);
        byte[] p = new byte[listLength];
        list.get(p);
        // As LIO does, the descriptors are what both the BLOCK DESCRIPTOR DATA LENGTH and the
        // parameter list cover; a trailing partial descriptor is ignored (SBC-3 5.28.2).
        int descriptorBytes = Math.min(Bytes.u16(p, 2), listLength - UNMAP_HEADER);
        int count = descriptorBytes / UNMAP_DESCRIPTOR;
        if (count > limits.maxUnmapDescriptors()) {
            throw ScsiFailure.check(Sense.invalidFieldInParameterList(2, 7));
        }
        long capacity = io.device().blockCount();
        long total = 0;
        long spanStart = Long.MAX_VALUE;
        long spanEnd = 0;
        List<Extent> extents = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int at = UNMAP_HEADER + i * UNMAP_DESCRIPTOR;
            long lba = Bytes.u64(p, at);
            long blocks = Bytes.u32(p, at + 8);
            CommandSupport.checkRange(lba, blocks, capacity);
            total += blocks;
            if (total > limits.maxUnmapBlocks()) {
                throw ScsiFailure.check(Sense.invalidFieldInParameterList(at + 8, 7));
            }
            if (blocks > 0) {
                extents.add(new Extent(lba, blocks));
                spanStart = Math.min(spanStart, lba);
                spanEnd = Math.max(spanEnd, lba + blocks);
            }
        }
        if (extents.isEmpty()) {
            return CommandSupport.GOOD;
        }
        return lock.withLock(spanStart, spanEnd - spanStart, BlockRangeLock.Mode.SHARED, () -> {
            CompletableFuture<?>[] trims = extents.stream()
                    .map(e -> io.trim(e.lba(), e.blocks()))
                    .toArray(CompletableFuture[]::new);
            return CompletableFuture.allOf(trims);
        }).thenApply(v -> ScsiResponse.good());
    }

    CompletableFuture<ScsiResponse> writeSame(Cdb cdb, ScsiRequest request, boolean sixteen) {
        long lba = sixteen ? cdb.u64(2) : cdb.u32(2);
        long blocks = sixteen ? cdb.u32(10) : cdb.u16(7);
        int lengthByte = sixteen ? 10 : 7;
        boolean unmap = cdb.bit(1, 3);
        boolean ndob = sixteen && cdb.bit(1, 0);
        if (blocks == 0) {
            // WSNZ=1 in VPD 0xB0: "the whole rest of the medium" is not supported.
            throw Cdb.invalidField(lengthByte, 7);
        }
        if (blocks > limits.maxWriteSameBlocks()) {
            throw Cdb.invalidField(lengthByte, 7);
        }
        CommandSupport.checkRange(lba, blocks, io.device().blockCount());
        int bs = io.device().blockSize();
        ByteBuffer pattern = ndob ? ByteBuffer.allocate(bs) : CommandSupport.dataOut(request, bs);
        boolean zeros = ndob || isAllZero(pattern);
        return lock.withLock(lba, blocks, BlockRangeLock.Mode.SHARED, () -> {
            if (unmap && zeros) {
                return io.trim(lba, blocks);
            }
            return writeRepeated(lba, blocks, pattern, bs);
        }).thenApply(v -> ScsiResponse.good());
    }

    /** Writes {@code pattern} to every block, one chunk after the other (bounded memory). */
    private CompletableFuture<Void> writeRepeated(long lba, long blocks, ByteBuffer pattern, int bs) {
        int chunkBlocks = (int) Math.min(blocks, Math.max(1, WRITE_SAME_CHUNK_BYTES / bs));
        ByteBuffer chunk = ByteBuffer.allocate(chunkBlocks * bs);
        for (int i = 0; i < chunkBlocks; i++) {
            chunk.put(pattern.duplicate());
        }
        chunk.flip();
        return writeChunks(lba, lba + blocks, chunk, chunkBlocks, bs);
    }

    private CompletableFuture<Void> writeChunks(long next, long end, ByteBuffer chunk, int chunkBlocks, int bs) {
        if (next >= end) {
            return CompletableFuture.completedFuture(null);
        }
        int n = (int) Math.min(chunkBlocks, end - next);
        ByteBuffer data = chunk.duplicate();
        data.limit(n * bs);
        return io.write(next, data).thenCompose(v -> writeChunks(next + n, end, chunk, chunkBlocks, bs));
    }

    private static boolean isAllZero(ByteBuffer b) {
        for (int i = b.position(); i < b.limit(); i++) {
            if (b.get(i) != 0) {
                return false;
            }
        }
        return true;
    }
}
