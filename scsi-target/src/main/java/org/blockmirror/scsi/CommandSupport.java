package org.blockmirror.scsi;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;

/** Checks and response shapes shared by the command families. */
final class CommandSupport {
    private CommandSupport() {
    }

    static final CompletableFuture<ScsiResponse> GOOD = CompletableFuture.completedFuture(ScsiResponse.good());

    /**
     * LOGICAL BLOCK ADDRESS OUT OF RANGE unless [lba, lba+blocks) lies within the device. The LBA
     * is unsigned 64-bit as the CDB carries it, so an LBA near 2^64 cannot wrap around.
     */
    static void checkRange(long lba, long blocks, long capacityBlocks) {
        if (Long.compareUnsigned(lba, capacityBlocks) > 0
                || Long.compareUnsigned(blocks, capacityBlocks - lba) > 0) {
            throw ScsiFailure.check(Sense.lbaOutOfRange());
        }
    }

    /**
     * The data-out bytes a command needs: exactly {@code needed} bytes from the start of the
     * request's buffer. Less than that is a transport/initiator mismatch between the CDB and the
     * data sent: ILLEGAL REQUEST, INVALID FIELD IN COMMAND INFORMATION UNIT (as LIO reports it),
     * and nothing is written.
     */
    static ByteBuffer dataOut(ScsiRequest request, int needed) {
        ByteBuffer d = request.dataOut();
        if (d.remaining() < needed) {
            throw ScsiFailure.check(Sense.illegalRequest(AdditionalSense.INVALID_FIELD_IN_COMMAND_IU));
        }
        ByteBuffer slice = d.duplicate();
        slice.limit(slice.position() + needed);
        return slice.slice();
    }

    /** GOOD with {@code data} truncated to the allocation length and the transport's capacity. */
    static ScsiResponse dataIn(byte[] data, long allocationLength, ScsiRequest request) {
        int n = (int) Math.min(Math.min(data.length, allocationLength), Math.max(0, request.dataInCapacity()));
        return ScsiResponse.good(ByteBuffer.wrap(data, 0, n).slice());
    }

    static CompletableFuture<ScsiResponse> completed(ScsiResponse r) {
        return CompletableFuture.completedFuture(r);
    }

    /** Offset of the first differing byte of two equally long buffers, or -1 when equal. */
    static int firstMismatch(ByteBuffer a, ByteBuffer b) {
        int i = a.duplicate().mismatch(b.duplicate());
        return i;
    }

    static ScsiFailure miscompare(long offset) {
        return ScsiFailure.check(Sense.of(SenseKey.MISCOMPARE, AdditionalSense.MISCOMPARE_DURING_VERIFY)
                .withInformation(offset));
    }
}
