package org.blockmirror.scsi;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

import org.blockmirror.block.BlockDevice;
import org.blockmirror.block.BlockDeviceException;
import org.blockmirror.volume.FileVolume;

/**
 * Test harness: a {@link BlockDevice} straight over a real {@link FileVolume}, synchronous or run
 * on a given executor, with a ready switch and one-shot fault injection.
 */
class FileBlockDevice implements BlockDevice {

    private final FileVolume volume;
    private final Executor executor; // null: complete in the caller's thread
    private volatile boolean ready = true;
    private final AtomicReference<BlockDeviceException.Reason> failNext = new AtomicReference<>();
    private final AtomicInteger flushes = new AtomicInteger();
    private final AtomicInteger trims = new AtomicInteger();
    private final AtomicInteger writes = new AtomicInteger();

    FileBlockDevice(FileVolume volume, Executor executor) {
        this.volume = volume;
        this.executor = executor;
    }

    void setReady(boolean ready) {
        this.ready = ready;
    }

    /** The next read, write, flush or trim fails with this reason. */
    void failNextIo(BlockDeviceException.Reason reason) {
        failNext.set(reason);
    }

    int flushCount() {
        return flushes.get();
    }

    int trimCount() {
        return trims.get();
    }

    int writeCount() {
        return writes.get();
    }

    @Override
    public int blockSize() {
        return volume.blockSize();
    }

    @Override
    public long blockCount() {
        return volume.blockCount();
    }

    @Override
    public boolean isReady() {
        return ready;
    }

    @Override
    public CompletableFuture<ByteBuffer> read(long lba, int blocks) {
        return run(() -> {
            ByteBuffer b = ByteBuffer.allocate(blocks * blockSize());
            volume.read(offset(lba, blocks), b);
            return b.flip();
        });
    }

    @Override
    public CompletableFuture<Void> write(long lba, ByteBuffer data) {
        writes.incrementAndGet();
        ByteBuffer copy = ByteBuffer.allocate(data.remaining()).put(data.duplicate()).flip();
        return run(() -> {
            volume.write(offset(lba, copy.remaining() / blockSize()), copy);
            return null;
        });
    }

    @Override
    public CompletableFuture<Void> flush() {
        flushes.incrementAndGet();
        return run(() -> {
            volume.flush();
            return null;
        });
    }

    @Override
    public CompletableFuture<Void> trim(long lba, long blocks) {
        trims.incrementAndGet();
        return run(() -> {
            // FileVolume cannot punch holes: deallocation is writing zeros, which is what reads see.
            long off = offset(lba, blocks);
            ByteBuffer zeros = ByteBuffer.allocate((int) Math.min(blocks * blockSize(), 1 << 20));
            long end = off + blocks * blockSize();
            for (long pos = off; pos < end; pos += zeros.capacity()) {
                ByteBuffer z = zeros.duplicate();
                z.limit((int) Math.min(z.capacity(), end - pos));
                volume.write(pos, z);
            }
            return null;
        });
    }

    private long offset(long lba, long blocks) {
        if (lba < 0 || blocks < 0 || lba + blocks > blockCount()) {
            throw new BlockDeviceException(BlockDeviceException.Reason.OUT_OF_RANGE,
                    "blocks " + lba + "+" + blocks + " beyond " + blockCount());
        }
        return lba * blockSize();
    }

    private interface Io<T> {
        T run() throws IOException;
    }

    private <T> CompletableFuture<T> run(Io<T> io) {
        BlockDeviceException.Reason injected = failNext.getAndSet(null);
        Supplier<T> task = () -> {
            if (!ready) {
                throw new BlockDeviceException(BlockDeviceException.Reason.NOT_READY, "standby");
            }
            if (injected != null) {
                throw new BlockDeviceException(injected, "injected " + injected);
            }
            try {
                return io.run();
            } catch (IOException e) {
                throw new BlockDeviceException(BlockDeviceException.Reason.IO_ERROR, e.getMessage(), e);
            }
        };
        if (executor == null) {
            try {
                return CompletableFuture.completedFuture(task.get());
            } catch (RuntimeException e) {
                return CompletableFuture.failedFuture(e);
            }
        }
        return CompletableFuture.supplyAsync(task, executor);
    }
}
