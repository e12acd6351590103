package org.blockmirror.tcmu;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import org.blockmirror.scsi.ScsiCommandHandler;
import org.blockmirror.scsi.ScsiRequest;
import org.blockmirror.scsi.ScsiResponse;

/**
 * Holds every command until the test releases it, in any order; the answer then comes from
 * the disk behind it. Lets a test put many commands in flight and choose completion order.
 */
final class GatedHandler implements ScsiCommandHandler {
    private final RamDisk disk;
    private final List<Held> held = new ArrayList<>();

    record Held(ScsiRequest request, CompletableFuture<ScsiResponse> future) {
    }

    GatedHandler(RamDisk disk) {
        this.disk = disk;
    }

    @Override
    public synchronized CompletableFuture<ScsiResponse> execute(ScsiRequest request) {
        CompletableFuture<ScsiResponse> future = new CompletableFuture<>();
        held.add(new Held(request, future));
        return future;
    }

    synchronized int heldCount() {
        return held.size();
    }

    /** Completes the i-th command received (in arrival order) with the disk's answer. */
    void release(int i) {
        Held h;
        synchronized (this) {
            h = held.get(i);
        }
        h.future.complete(disk.executeNow(h.request));
    }

    void fail(int i, Throwable error) {
        Held h;
        synchronized (this) {
            h = held.get(i);
        }
        h.future.completeExceptionally(error);
    }
}
