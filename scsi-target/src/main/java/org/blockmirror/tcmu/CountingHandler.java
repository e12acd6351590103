package org.blockmirror.tcmu;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

import org.blockmirror.block.SubmissionBatch;
import org.blockmirror.scsi.ScsiCommandHandler;
import org.blockmirror.scsi.ScsiRequest;
import org.blockmirror.scsi.ScsiResponse;

/** Counts the commands a handler answers, for status. */
final class CountingHandler implements ScsiCommandHandler {
    private final ScsiCommandHandler delegate;
    private final LongAdder served = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final AtomicInteger inFlight = new AtomicInteger();

    CountingHandler(ScsiCommandHandler delegate) {
        this.delegate = delegate;
    }

    @Override
    public CompletableFuture<ScsiResponse> execute(ScsiRequest request) {
        inFlight.incrementAndGet();
        CompletableFuture<ScsiResponse> result;
        try {
            result = delegate.execute(request);
        } catch (RuntimeException e) {
            result = CompletableFuture.failedFuture(e);
        }
        return result.whenComplete((response, failure) -> {
            inFlight.decrementAndGet();
            served.increment();
            if (failure != null || response == null || response.status() != ScsiResponse.GOOD) {
                failed.increment();
            }
        });
    }

    @Override
    public SubmissionBatch beginBatch() {
        return delegate.beginBatch();
    }

    /** Commands answered. */
    long served() {
        return served.sum();
    }

    /** Of those, answered with a status other than GOOD. */
    long failed() {
        return failed.sum();
    }

    int inFlight() {
        return inFlight.get();
    }
}
