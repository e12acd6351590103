package org.blockmirror.scsi;

import java.util.concurrent.CompletableFuture;

/**
 * Executes SCSI commands; the seam between a transport (TCMU ring) and the disk emulation.
 * Many commands may be in flight at once; the future never completes exceptionally: every
 * failure is expressed as SCSI status and sense data.
 */
public interface ScsiCommandHandler {
    CompletableFuture<ScsiResponse> execute(ScsiRequest request);
}
