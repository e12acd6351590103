package org.blockmirror.scsi;

import java.util.concurrent.CompletableFuture;

import org.blockmirror.block.BlockDevice;
import org.blockmirror.block.SubmissionBatch;

/**
 * Executes SCSI commands; the seam between a transport (TCMU ring) and the disk emulation.
 * Many commands may be in flight at once; the future never completes exceptionally: every
 * failure is expressed as SCSI status and sense data.
 */
public interface ScsiCommandHandler {
    CompletableFuture<ScsiResponse> execute(ScsiRequest request);

    /**
     * Starts a batch of {@link #execute} calls from the calling thread (every command one read
     * of a ring found), passed on to the device behind ({@link BlockDevice#beginBatch}).
     */
    default SubmissionBatch beginBatch() {
        return SubmissionBatch.NONE;
    }
}
