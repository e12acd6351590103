package org.blockmirror.scsi;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;

/**
 * COMPARE AND WRITE (SBC-3 5.2): read the blocks, compare them with the first half of the
 * data-out buffer and, only if equal, write the second half. The blocks are held EXCLUSIVE in the
 * {@link BlockRangeLock} from before the read until the write completes, and every other command
 * through this disk holds its blocks SHARED, so no write can slip in between compare and write.
 */
final class CompareAndWriteCommand {

    private final DeviceIo io;
    private final BlockRangeLock lock;
    private final DiskLimits limits;

    CompareAndWriteCommand(DeviceIo io, BlockRangeLock lock, DiskLimits limits) {
        this.io = io;
        this.lock = lock;
        this.limits = limits;
    }

    CompletableFuture<ScsiResponse> execute(Cdb cdb, ScsiRequest request) {
        long lba = cdb.u64(2);
        int blocks = cdb.u8(13);
        boolean fua = cdb.bit(1, 3);
        if (blocks > limits.maxCompareAndWriteBlocks()) {
            throw Cdb.invalidField(13, 7);
        }
        CommandSupport.checkRange(lba, blocks, io.device().blockCount());
        if (blocks == 0) {
            return CommandSupport.GOOD; // not an error: nothing compared, nothing written
        }
        int half = blocks * io.device().blockSize();
        ByteBuffer both = CommandSupport.dataOut(request, 2 * half);
        ByteBuffer verify = both.duplicate().limit(half).slice();
        ByteBuffer write = both.duplicate().position(half).slice();
        return lock.withLock(lba, blocks, BlockRangeLock.Mode.EXCLUSIVE, () ->
                io.read(lba, blocks).thenCompose(current -> {
                    int offset = CommandSupport.firstMismatch(verify, current);
                    if (offset >= 0) {
                        // INFORMATION: offset into the data-out buffer of the first unequal byte.
                        throw CommandSupport.miscompare(offset);
                    }
                    return io.write(lba, write);
                })
        ).thenCompose(v -> fua ? io.flush() : CompletableFuture.completedFuture(null))
                .thenApply(v -> ScsiResponse.good());
    }
}
