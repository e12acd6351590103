package org.blockmirror.unit;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.blockmirror.block.BlockDevice;
import org.blockmirror.block.BlockDeviceException;
import org.blockmirror.block.SubmissionBatch;

/**
 * The disk a unit shows its host, the same object in both roles (SPEC F10 hot standby): its size
 * and block size are always real, so INQUIRY and READ CAPACITY describe the mirrored disk; data
 * commands reach the primary half's write pipeline only while this unit holds the write token
 * (SPEC F12) and no role reversal is draining the journal. Otherwise they fail with NOT READY and
 * {@link #isReady()} is false. Promotion attaches the write pipeline to this same device, so a host
 * that detected the standby disk needs no re-scan.
 */
final class UnitDevice implements BlockDevice {

    private final int blockSize;
    private final long blockCount;
    private final VolumeRole role;
    private volatile BlockDevice primary; // null while the unit is secondary or switching

    UnitDevice(int blockSize, long blockCount, VolumeRole role) {
        this.blockSize = blockSize;
        this.blockCount = blockCount;
        this.role = role;
    }

    void attach(BlockDevice pipeline) {
        this.primary = pipeline;
    }

    void detach() {
        this.primary = null;
    }

    @Override
    public int blockSize() {
        return blockSize;
    }

    @Override
    public long blockCount() {
        return blockCount;
    }

    @Override
    public boolean isReady() {
        BlockDevice p = primary;
        return p != null && role.mayAcceptWrites() && p.isReady();
    }

    @Override
    public CompletableFuture<ByteBuffer> read(long lba, int blocks) {
        BlockDevice p = primary;
        return p != null && role.mayAcceptWrites() ? p.read(lba, blocks) : notReady();
    }

    @Override
    public CompletableFuture<Void> write(long lba, ByteBuffer data) {
        return admitted(p -> p.write(lba, data));
    }

    @Override
    public CompletableFuture<Void> trim(long lba, long blocks) {
        return admitted(p -> p.trim(lba, blocks));
    }

    @Override
    public SubmissionBatch beginBatch() {
        BlockDevice p = primary;
        return p != null ? p.beginBatch() : SubmissionBatch.NONE;
    }

    @Override
    public CompletableFuture<Void> flush() {
        BlockDevice p = primary;
        return p != null && role.mayAcceptWrites() ? p.flush() : notReady();
    }

    private CompletableFuture<Void> admitted(java.util.function.Function<BlockDevice, CompletableFuture<Void>> op) {
        BlockDevice p = primary;
        if (p == null) {
            return notReady();
        }
        BlockDeviceException refused = role.admitWrite();
        if (refused != null) {
            return CompletableFuture.failedFuture(refused);
        }
        CompletableFuture<Void> f;
        try {
            f = op.apply(p);
        } catch (RuntimeException e) {
            role.writeDone();
            throw e;
        }
        return f.whenComplete((v, e) -> role.writeDone());
    }

    private <T> CompletableFuture<T> notReady() {
        Supplier<String> why = () -> primary == null
                ? "standby: this unit is secondary for the volume and is not the active primary"
                : role.notReadyReason();
        return CompletableFuture.failedFuture(new BlockDeviceException(BlockDeviceException.Reason.NOT_READY, why.get()));
    }
}
