package org.blockmirror.block;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;

/**
 * The block-level interface between a front end (the SCSI emulation behind TCMU, or the
 * embedded front end used by the demo and tests) and the unit that serves it.
 *
 * <p>Addresses are logical block addresses in units of {@link #blockSize()}. Every call returns
 * at once; completion is asynchronous, so a front end can keep many commands in flight. A
 * failed future carries a {@link BlockDeviceException} whose {@link BlockDeviceException.Reason}
 * the front end maps to its own error model (e.g. SCSI sense data).
 *
 * <p>Completion semantics: a completed write is durable on the unit's stable storage (how far
 * it has travelled to the remote depends on the ack mode). {@link #flush()} completes once every
 * write completed before the call is durable.
 */
public interface BlockDevice {

    /** Logical block size in bytes (512 or 4096). */
    int blockSize();

    /** Number of logical blocks. */
    long blockCount();

    default long capacityBytes() {
        return blockCount() * blockSize();
    }

    /** Whether data commands are currently accepted (false on a standby unit: "media not ready"). */
    boolean isReady();

    /**
     * Reads {@code blocks} blocks starting at {@code lba}. The returned buffer is owned by the
     * caller, positioned at 0 with {@code blocks * blockSize()} bytes remaining.
     */
    CompletableFuture<ByteBuffer> read(long lba, int blocks);

    /**
     * Writes the remaining bytes of {@code data} (a whole number of blocks) at {@code lba}.
     * The device copies what it needs before the future completes; the caller keeps ownership
     * of {@code data} and must not modify it until then.
     */
    CompletableFuture<Void> write(long lba, ByteBuffer data);

    /** Makes every previously completed write durable (SYNCHRONIZE CACHE). */
    CompletableFuture<Void> flush();

    /** Deallocates blocks; afterwards they read back as zeros (UNMAP / WRITE SAME with UNMAP). */
    CompletableFuture<Void> trim(long lba, long blocks);

    /**
     * Starts a batch of submissions from the calling thread ({@link SubmissionBatch}); close it
     * when the pass is over. The default does not batch.
     */
    default SubmissionBatch beginBatch() {
        return SubmissionBatch.NONE;
    }
}
