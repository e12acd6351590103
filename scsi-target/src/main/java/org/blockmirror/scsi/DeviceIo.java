package org.blockmirror.scsi;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;

import org.blockmirror.block.BlockDevice;
import org.blockmirror.block.BlockDeviceException;

/**
 * The {@link BlockDevice} as the command code sees it: the same calls, but every failure comes
 * back as a {@link ScsiFailure} with the sense data chosen for it (see docs/scsi-emulation.md,
 * "Sense data choices"). Whether an I/O error is a read or a write error depends on the call.
 */
final class DeviceIo {

    private final BlockDevice device;

    DeviceIo(BlockDevice device) {
        this.device = device;
    }

    BlockDevice device() {
        return device;
    }

    CompletableFuture<ByteBuffer> read(long lba, int blocks) {
        return translate(() -> device.read(lba, blocks), Direction.READ);
    }

    CompletableFuture<Void> write(long lba, ByteBuffer data) {
        return translate(() -> device.write(lba, data), Direction.WRITE);
    }

    /**
     * The device's write as it is: a failure is not translated yet (the caller does it with
     * {@link #toFailure} in a stage it needs anyway, see ReadWriteCommands.write).
     */
    CompletableFuture<Void> writeUntranslated(long lba, ByteBuffer data) {
        try {
            return device.write(lba, data);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    CompletableFuture<Void> flush() {
        return translate(device::flush, Direction.WRITE);
    }

    CompletableFuture<Void> trim(long lba, long blocks) {
        return translate(() -> device.trim(lba, blocks), Direction.WRITE);
    }

    enum Direction { READ, WRITE }

    private static <T> CompletableFuture<T> translate(Supplier<CompletableFuture<T>> call, Direction direction) {
        CompletableFuture<T> f;
        try {
            f = call.get();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(toFailure(e, direction));
        }
        return f.handle((v, t) -> {
            if (t != null) {
                throw toFailure(t, direction);
            }
            return v;
        });
    }

    /** Maps a device failure to the SCSI outcome the host should see. */
    static RuntimeException toFailure(Throwable t, Direction direction) {
        Throwable cause = unwrap(t);
        if (cause instanceof ScsiFailure sf) {
            return sf;
        }
        if (!(cause instanceof BlockDeviceException bde)) {
            // Not a device condition but a bug somewhere below: ScsiDisk reports it as
            // HARDWARE ERROR / INTERNAL TARGET FAILURE and logs it.
            return cause instanceof RuntimeException re ? re : new CompletionException(cause);
        }
        return switch (bde.reason()) {
            case NOT_READY -> ScsiFailure.check(Sense.notReady());
            case JOURNAL_FULL -> ScsiFailure.check(Sense.of(SenseKey.DATA_PROTECT,
                    AdditionalSense.SPACE_ALLOCATION_FAILED_WRITE_PROTECT));
            case IO_ERROR -> ScsiFailure.check(Sense.of(SenseKey.MEDIUM_ERROR,
                    direction == Direction.READ ? AdditionalSense.UNRECOVERED_READ_ERROR : AdditionalSense.WRITE_ERROR));
            case OUT_OF_RANGE -> ScsiFailure.check(Sense.lbaOutOfRange());
            case SHUTTING_DOWN -> ScsiFailure.busy();
        };
    }

    static Throwable unwrap(Throwable t) {
        Throwable c = t;
        while ((c instanceof CompletionException || c instanceof java.util.concurrent.ExecutionException)
                && c.getCause() != null) {
            c = c.getCause();
        }
        return c;
    }
}
