package org.blockmirror.tcmu;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;

import org.blockmirror.scsi.ScsiCommandHandler;
import org.blockmirror.scsi.ScsiRequest;
import org.blockmirror.scsi.ScsiResponse;

/**
 * Just enough of a SCSI disk over a file for Linux's sd driver to attach it and move data:
 * TEST UNIT READY, INQUIRY (standard only), READ CAPACITY(10/16), MODE SENSE(6/10) (no pages),
 * READ/WRITE(10/16), SYNCHRONIZE CACHE(10/16). Smoke-test harness, not the emulation.
 */
final class FileDisk implements ScsiCommandHandler {
    private final FileChannel file;
    private final int blockSize;
    private final long blocks;

    FileDisk(FileChannel file, int blockSize, long sizeBytes) {
        this.file = file;
        this.blockSize = blockSize;
        this.blocks = sizeBytes / blockSize;
    }

    @Override
    public CompletableFuture<ScsiResponse> execute(ScsiRequest request) {
        try {
            return CompletableFuture.completedFuture(executeNow(request));
        } catch (IOException e) {
            return CompletableFuture.completedFuture(ScsiResponse.checkCondition(RamDisk.sense(0x03, 0x11, 0x00)));
        }
    }

    private ScsiResponse executeNow(ScsiRequest request) throws IOException {
        ByteBuffer cdb = ByteBuffer.wrap(request.cdb());
        switch (request.opcode()) {
            case 0x00:
            case 0x35:
            case 0x91:
                return ScsiResponse.good();
            case 0x12: {
                if ((cdb.get(1) & 1) != 0) {
                    return ScsiResponse.checkCondition(RamDisk.sense(0x05, 0x24, 0x00)); // no VPD pages
                }
                byte[] inquiry = new byte[36];
                inquiry[2] = 0x06;
                inquiry[3] = 0x02;
                inquiry[4] = 31;
                System.arraycopy("BLKMIRR SMOKEDISK       0001".getBytes(StandardCharsets.US_ASCII), 0, inquiry, 8, 28);
                int allocation = cdb.getShort(3) & 0xffff;
                return ScsiResponse.good(ByteBuffer.wrap(inquiry, 0, Math.min(allocation, 36)).slice());
            }
            case 0x25:
                return ScsiResponse.good(ByteBuffer.allocate(8)
                        .putInt((int) Math.min(blocks - 1, 0xffff_ffffL)).putInt(blockSize).flip());
            case 0x9e:
                if ((cdb.get(1) & 0x1f) != 0x10) {
                    break;
                }
                ByteBuffer cap = ByteBuffer.allocate(32).putLong(blocks - 1).putInt(blockSize);
                int allocation = cdb.getInt(10);
                return ScsiResponse.good(cap.clear().limit(Math.min(32, allocation)).slice());
            case 0x1a:
                return ScsiResponse.good(ByteBuffer.wrap(new byte[] {3, 0, 0, 0}, 0,
                        Math.min(4, cdb.get(4) & 0xff)).slice());
            case 0x5a:
                return ScsiResponse.good(ByteBuffer.wrap(new byte[] {0, 6, 0, 0, 0, 0, 0, 0}, 0,
                        Math.min(8, cdb.getShort(7) & 0xffff)).slice());
            case 0x28:
            case 0x2a:
                return readWrite(request, cdb.getInt(2) & 0xffff_ffffL, cdb.getShort(7) & 0xffff);
            case 0x88:
            case 0x8a:
                return readWrite(request, cdb.getLong(2), cdb.getInt(10) & 0xffff_ffffL);
            default:
                break;
        }
        return ScsiResponse.checkCondition(RamDisk.sense(0x05, 0x20, 0x00));
    }

    private ScsiResponse readWrite(ScsiRequest request, long lba, long count) throws IOException {
        if (lba < 0 || lba + count > blocks) {
            return ScsiResponse.checkCondition(RamDisk.sense(0x05, 0x21, 0x00));
        }
        int length = (int) (count * blockSize);
        long position = lba * blockSize;
        boolean read = request.opcode() == 0x28 || request.opcode() == 0x88;
        if (read) {
            ByteBuffer data = ByteBuffer.allocate(length);
            while (data.hasRemaining()) {
                if (file.read(data, position + data.position()) < 0) {
                    throw new UncheckedIOException(new IOException("short backing file"));
                }
            }
            return ScsiResponse.good(data.flip());
        }
        ByteBuffer data = request.dataOut().duplicate();
        if (data.remaining() != length) {
            return ScsiResponse.checkCondition(RamDisk.sense(0x05, 0x24, 0x00));
        }
        while (data.hasRemaining()) {
            file.write(data, position + (length - data.remaining()));
        }
        return ScsiResponse.good();
    }
}
