package org.blockmirror.tcmu;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;

import org.blockmirror.scsi.ScsiCommandHandler;
import org.blockmirror.scsi.ScsiRequest;
import org.blockmirror.scsi.ScsiResponse;

/**
 * A tiny real disk over a byte array for exercising the transport: TEST UNIT READY, INQUIRY,
 * READ CAPACITY(10), READ(10), WRITE(10); everything else is INVALID COMMAND OPERATION CODE.
 * Test harness, not the emulation (that is org.blockmirror.scsi.ScsiDisk).
 */
final class RamDisk implements ScsiCommandHandler {
    static final int BLOCK = 512;
    final byte[] data;

    RamDisk(int blocks) {
        this.data = new byte[blocks * BLOCK];
    }

    @Override
    public CompletableFuture<ScsiResponse> execute(ScsiRequest request) {
        return CompletableFuture.completedFuture(executeNow(request));
    }

    ScsiResponse executeNow(ScsiRequest request) {
        byte[] cdb = request.cdb();
        switch (request.opcode()) {
            case 0x00:
                return ScsiResponse.good();
            case 0x12: {
                byte[] inquiry = new byte[36];
                inquiry[2] = 0x06;
                inquiry[3] = 0x02;
                inquiry[4] = 31;
                System.arraycopy("BLKMIRR RAMDISK         0001".getBytes(StandardCharsets.US_ASCII), 0, inquiry, 8, 28);
                int allocation = ((cdb[3] & 0xff) << 8) | (cdb[4] & 0xff);
                int n = Math.min(Math.min(allocation, inquiry.length), request.dataInCapacity());
                return ScsiResponse.good(ByteBuffer.wrap(inquiry, 0, n).slice());
            }
            case 0x25: {
                ByteBuffer cap = ByteBuffer.allocate(8).putInt(data.length / BLOCK - 1).putInt(BLOCK).flip();
                return ScsiResponse.good(cap);
            }
            case 0x28:
            case 0x2a: {
                long lba = ByteBuffer.wrap(cdb, 2, 4).getInt() & 0xffff_ffffL;
                int blocks = ((cdb[7] & 0xff) << 8) | (cdb[8] & 0xff);
                if ((lba + blocks) * BLOCK > data.length) {
                    return ScsiResponse.checkCondition(sense(0x05, 0x21, 0x00));
                }
                int offset = (int) lba * BLOCK;
                int length = blocks * BLOCK;
                if (request.opcode() == 0x28) {
                    return ScsiResponse.good(ByteBuffer.wrap(data, offset, length).slice());
                }
                if (request.dataOut().remaining() != length) {
                    return ScsiResponse.checkCondition(sense(0x05, 0x24, 0x00));
                }
                request.dataOut().duplicate().get(data, offset, length);
                return ScsiResponse.good();
            }
            default:
                return ScsiResponse.checkCondition(sense(0x05, 0x20, 0x00));
        }
    }

    static byte[] sense(int key, int asc, int ascq) {
        byte[] s = new byte[18];
        s[0] = 0x70;
        s[2] = (byte) key;
        s[7] = 10;
        s[12] = (byte) asc;
        s[13] = (byte) ascq;
        return s;
    }

    static byte[] read10(long lba, int blocks) {
        return rw10(0x28, lba, blocks);
    }

    static byte[] write10(long lba, int blocks) {
        return rw10(0x2a, lba, blocks);
    }

    static byte[] inquiry(int allocation) {
        return new byte[] {0x12, 0, 0, (byte) (allocation >> 8), (byte) allocation, 0};
    }

    private static byte[] rw10(int opcode, long lba, int blocks) {
        ByteBuffer cdb = ByteBuffer.allocate(10);
        cdb.put((byte) opcode).put((byte) 0).putInt((int) lba).put((byte) 0).putShort((short) blocks).put((byte) 0);
        return cdb.array();
    }
}
