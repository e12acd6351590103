package org.blockmirror.scsi;

import static org.blockmirror.scsi.CommandSet.*;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * READ 6/10/12/16, WRITE 6/10/12/16, VERIFY 10/16, WRITE AND VERIFY 10/16 and SYNCHRONIZE
 * CACHE 10/16.
 *
 * <p>Durability: a completed {@link org.blockmirror.block.BlockDevice#write} is already durable,
 * so WRITE returns GOOD when the device completes it. FUA is honoured anyway with a flush after
 * the write, so the contract holds even if a device ever completes writes earlier.
 */
final class ReadWriteCommands {

    private static final Logger log = LoggerFactory.getLogger(ReadWriteCommands.class);

    /** Where the fields of one READ/WRITE-style CDB are. */
    record BlockCdb(long lba, long blocks, int lengthByte, boolean fua) {

        static BlockCdb parse(Cdb cdb) {
            return switch (cdb.opcode()) {
                case READ_6, WRITE_6 -> {
                    int n = cdb.u8(4);
                    // 6-byte READ/WRITE: a transfer length of 0 means 256 blocks.
                    yield new BlockCdb(cdb.u24(1) & 0x1fffff, n == 0 ? 256 : n, 4, false);
                }
                case READ_10, WRITE_10, VERIFY_10, WRITE_AND_VERIFY_10, SYNCHRONIZE_CACHE_10 ->
                        new BlockCdb(cdb.u32(2), cdb.u16(7), 7, cdb.bit(1, 3));
                case READ_12, WRITE_12 -> new BlockCdb(cdb.u32(2), cdb.u32(6), 6, cdb.bit(1, 3));
                case READ_16, WRITE_16, VERIFY_16, WRITE_AND_VERIFY_16, SYNCHRONIZE_CACHE_16 ->
                        new BlockCdb(cdb.u64(2), cdb.u32(10), 10, cdb.bit(1, 3));
                default -> throw new IllegalArgumentException("not a block command: " + cdb.opcode());
            };
        }
    }

    private final DeviceIo io;
    private final BlockRangeLock lock;
    private final DiskLimits limits;

    ReadWriteCommands(DeviceIo io, BlockRangeLock lock, DiskLimits limits) {
        this.io = io;
        this.lock = lock;
        this.limits = limits;
    }

    private int blockSize() {
        return io.device().blockSize();
    }

    private long capacity() {
        return io.device().blockCount();
    }

    /** MAXIMUM TRANSFER LENGTH from VPD 0xB0: larger transfers are INVALID FIELD IN CDB. */
    private void checkTransferLength(BlockCdb c) {
        if (c.blocks() > limits.maxTransferBlocks()) {
            throw Cdb.invalidField(c.lengthByte(), 7);
        }
    }

    CompletableFuture<ScsiResponse> read(Cdb cdb, ScsiRequest request) {
        BlockCdb c = BlockCdb.parse(cdb);
        checkTransferLength(c);
        checkRangeOf(c);
        if (c.blocks() == 0) {
            return CommandSupport.GOOD;
        }
        return lock.withLock(c.lba(), c.blocks(), BlockRangeLock.Mode.SHARED, () -> io.read(c.lba(), (int) c.blocks()))
                .thenApply(data -> {
                    int n = Math.min(data.remaining(), Math.max(0, request.dataInCapacity()));
                    ByteBuffer out = data.duplicate();
                    out.limit(out.position() + n);
                    return ScsiResponse.good(out.slice());
                });
    }

    CompletableFuture<ScsiResponse> write(Cdb cdb, ScsiRequest request) {
        BlockCdb c = BlockCdb.parse(cdb);
        checkTransferLength(c);
        checkRangeOf(c);
        if (c.blocks() == 0) {
            return CommandSupport.GOOD;
        }
        ByteBuffer data = CommandSupport.dataOut(request, (int) c.blocks() * blockSize());
        if (!c.fua()) {
            // the hot path: release the lease, translate a failure and answer in one stage
            return lock.withLock(c.lba(), c.blocks(), BlockRangeLock.Mode.SHARED,
                    () -> io.writeUntranslated(c.lba(), data), ReadWriteCommands::writeAnswer);
        }
        return lock.withLock(c.lba(), c.blocks(), BlockRangeLock.Mode.SHARED, () -> io.write(c.lba(), data))
                .thenCompose(v -> io.flush())
                .thenApply(v -> ScsiResponse.good());
    }

    private static ScsiResponse writeAnswer(Void written, Throwable failure) {
        if (failure != null) {
            throw DeviceIo.toFailure(failure, DeviceIo.Direction.WRITE);
        }
        return ScsiResponse.good();
    }

    CompletableFuture<ScsiResponse> verify(Cdb cdb, ScsiRequest request) {
        BlockCdb c = BlockCdb.parse(cdb);
        int bytchk = cdb.field(1, 2, 1);
        if (bytchk == 0b10) {
            throw Cdb.invalidField(1, 2);
        }
        if (bytchk != 0) {
            checkTransferLength(c);
        }
        checkRangeOf(c);
        if (bytchk == 0 || c.blocks() == 0) {
            // No byte compare asked: every block within range is readable as far as we know.
            return CommandSupport.GOOD;
        }
        int bs = blockSize();
        ByteBuffer expected = CommandSupport.dataOut(request, bytchk == 0b01 ? (int) c.blocks() * bs : bs);
        return lock.withLock(c.lba(), c.blocks(), BlockRangeLock.Mode.SHARED, () -> io.read(c.lba(), (int) c.blocks()))
                .thenApply(actual -> {
                    long offset = bytchk == 0b01 ? CommandSupport.firstMismatch(expected, actual)
                            : firstMismatchAgainstEachBlock(expected, actual, bs);
                    if (offset >= 0) {
                        throw CommandSupport.miscompare(offset);
                    }
                    return ScsiResponse.good();
                });
    }

    CompletableFuture<ScsiResponse> writeAndVerify(Cdb cdb, ScsiRequest request) {
        BlockCdb c = BlockCdb.parse(cdb);
        int bytchk = cdb.field(1, 2, 1);
        if (bytchk > 0b01) {
            throw Cdb.invalidField(1, 2);
        }
        checkTransferLength(c);
        checkRangeOf(c);
        if (c.blocks() == 0) {
            return CommandSupport.GOOD;
        }
        ByteBuffer data = CommandSupport.dataOut(request, (int) c.blocks() * blockSize());
        return lock.withLock(c.lba(), c.blocks(), BlockRangeLock.Mode.SHARED, () -> {
            CompletableFuture<Void> written = io.write(c.lba(), data);
            if (bytchk == 0) {
                // Verify the medium: a completed device write is already durable and readable.
                return written.thenApply(v -> ScsiResponse.good());
            }
            return written.thenCompose(v -> io.read(c.lba(), (int) c.blocks())).thenApply(actual -> {
                int offset = CommandSupport.firstMismatch(data, actual);
                if (offset >= 0) {
                    throw CommandSupport.miscompare(offset);
                }
                return ScsiResponse.good();
            });
        });
    }

    CompletableFuture<ScsiResponse> synchronizeCache(Cdb cdb) {
        BlockCdb c = BlockCdb.parse(cdb);
        checkRangeOf(c); // NUMBER OF LOGICAL BLOCKS 0 = "to the end": checks just the LBA
        boolean immediate = cdb.bit(1, 1);
        CompletableFuture<Void> flushed = io.flush();
        if (immediate) {
            // IMMED: status as soon as the CDB is valid; a later failure cannot reach the host
            // through this command any more, so it is logged.
            flushed.whenComplete((v, t) -> {
                if (t != null) {
                    log.warn("SYNCHRONIZE CACHE with IMMED failed after GOOD was returned: {}", t.toString());
                }
            });
            return CommandSupport.GOOD;
        }
        return flushed.thenApply(v -> ScsiResponse.good());
    }

    private void checkRangeOf(BlockCdb c) {
        CommandSupport.checkRange(c.lba(), c.blocks(), capacity());
    }

    /** BYTCHK=11b: one block of data-out compared against every block read. */
    private static long firstMismatchAgainstEachBlock(ByteBuffer oneBlock, ByteBuffer actual, int bs) {
        for (int pos = 0; pos < actual.remaining(); pos += bs) {
            ByteBuffer block = actual.duplicate();
            block.position(actual.position() + pos).limit(actual.position() + pos + bs);
            int i = oneBlock.duplicate().mismatch(block);
            if (i >= 0) {
                return (long) pos + i;
            }
        }
        return -1;
    }
}
