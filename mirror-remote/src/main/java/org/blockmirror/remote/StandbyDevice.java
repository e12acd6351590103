package org.blockmirror.remote;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import org.blockmirror.block.BlockDevice;
import org.blockmirror.block.BlockDeviceException;

/**
 * The remote unit's volume as its front end shows it while the unit is standby (SPEC F10):
 * the size is real, so INQUIRY and READ CAPACITY describe the mirrored disk, but the unit is
 * not ready, so every data command fails with NOT READY. It never touches the volume: the
 * mirror is written only by the applier, in sequence order.
 */
final class StandbyDevice implements BlockDevice {

    private final int blockSize;
    private final long blockCount;

    StandbyDevice(int blockSize, long blockCount) {
        this.blockSize = blockSize;
        this.blockCount = blockCount;
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
        return false;
    }

    @Override
    public CompletableFuture<ByteBuffer> read(long lba, int blocks) {
        return notReady();
    }

    @Override
    public CompletableFuture<Void> write(long lba, ByteBuffer data) {
        return notReady();
    }

    @Override
    public CompletableFuture<Void> flush() {
        return notReady();
    }

    @Override
    public CompletableFuture<Void> trim(long lba, long blocks) {
        return notReady();
    }

    private static <T> CompletableFuture<T> notReady() {
        return CompletableFuture.failedFuture(new BlockDeviceException(BlockDeviceException.Reason.NOT_READY,
                "standby: this unit receives the mirror and is not the active primary"));
    }
}
