package org.blockmirror.scsi;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiFunction;
import java.util.function.Supplier;

/**
 * Asynchronous shared/exclusive lock over block ranges; what makes COMPARE AND WRITE atomic.
 *
 * <p>Every command that touches blocks holds its range while its I/O is in flight: reads and
 * writes SHARED (they may overlap each other freely, as on any disk), COMPARE AND WRITE
 * EXCLUSIVE. A request is granted when it conflicts with no granted range and with no earlier
 * waiting request (first come, first served, so a stream of writes cannot starve a COMPARE AND
 * WRITE). Nobody blocks a thread: a waiter gets a future that completes when granted.
 */
final class BlockRangeLock {

    enum Mode { SHARED, EXCLUSIVE }

    /** A granted range; release exactly once. */
    final class Lease {
        private final long start;
        private final long end; // exclusive
        private final Mode mode;
        private final CompletableFuture<Lease> granted = new CompletableFuture<>();

        private Lease(long start, long end, Mode mode) {
            this.start = start;
            this.end = end;
            this.mode = mode;
        }

        void release() {
            BlockRangeLock.this.release(this);
        }

        private boolean conflictsWith(Lease o) {
            return start < o.end && o.start < end && (mode == Mode.EXCLUSIVE || o.mode == Mode.EXCLUSIVE);
        }
    }

    private final List<Lease> granted = new ArrayList<>();
    private final ArrayDeque<Lease> waiting = new ArrayDeque<>();

    /**
     * Runs {@code action} while holding [lba, lba+blocks) in {@code mode}; the lease is released
     * when the action's future completes, however it completes.
     */
    <T> CompletableFuture<T> withLock(long lba, long blocks, Mode mode, Supplier<CompletableFuture<T>> action) {
        CompletableFuture<Lease> granting = acquire(lba, blocks, mode);
        if (granting.isDone()) {
            // Granted at once (the common case): run the action here, one future stage fewer.
            return runHolding(granting.join(), action);
        }
        return granting.thenCompose(lease -> runHolding(lease, action));
    }

    private static <T> CompletableFuture<T> runHolding(Lease lease, Supplier<CompletableFuture<T>> action) {
        CompletableFuture<T> f;
        try {
            f = action.get();
        } catch (RuntimeException e) {
            lease.release();
            return CompletableFuture.failedFuture(e);
        }
        return f.whenComplete((v, t) -> lease.release());
    }

    /**
     * {@link #withLock} that also maps the action's outcome in the same stage that releases the
     * lease: one future stage per command instead of two (WRITE, the hot path).
     */
    <T, R> CompletableFuture<R> withLock(long lba, long blocks, Mode mode, Supplier<CompletableFuture<T>> action,
                                         BiFunction<? super T, Throwable, ? extends R> then) {
        CompletableFuture<Lease> granting = acquire(lba, blocks, mode);
        if (granting.isDone()) {
            return runHolding(granting.join(), action, then);
        }
        return granting.thenCompose(lease -> runHolding(lease, action, then));
    }

    private static <T, R> CompletableFuture<R> runHolding(Lease lease, Supplier<CompletableFuture<T>> action,
                                                          BiFunction<? super T, Throwable, ? extends R> then) {
        CompletableFuture<T> f;
        try {
            f = action.get();
        } catch (RuntimeException e) {
            f = CompletableFuture.failedFuture(e);
        }
        return f.handle((v, t) -> {
            lease.release();
            return then.apply(v, t);
        });
    }

    CompletableFuture<Lease> acquire(long lba, long blocks, Mode mode) {
        // LBAs have been range-checked against the capacity (< 2^63), so lba + blocks cannot overflow.
        Lease lease = new Lease(lba, lba + blocks, mode);
        synchronized (this) {
            if (blocks == 0 || (!conflictsWithAny(lease, granted) && !conflictsWithAny(lease, waiting))) {
                if (blocks != 0) {
                    granted.add(lease);
                }
                lease.granted.complete(lease);
            } else {
                waiting.add(lease);
            }
        }
        return lease.granted;
    }

    /** Number of granted plus waiting requests (for tests: everything released at the end). */
    synchronized int outstanding() {
        return granted.size() + waiting.size();
    }

    private void release(Lease lease) {
        List<Lease> wake = new ArrayList<>();
        synchronized (this) {
            if (lease.end == lease.start) {
                return;
            }
            if (!granted.remove(lease)) {
                throw new IllegalStateException("lease released twice or never granted");
            }
            if (waiting.isEmpty()) {
                return; // nobody to wake (the common case)
            }
            List<Lease> stillWaiting = new ArrayList<>();
            for (Iterator<Lease> it = waiting.iterator(); it.hasNext(); ) {
                Lease w = it.next();
                if (!conflictsWithAny(w, granted) && !conflictsWithAny(w, stillWaiting)) {
                    it.remove();
                    granted.add(w);
                    wake.add(w);
                } else {
                    stillWaiting.add(w);
                }
            }
        }
        // Outside the monitor: completing runs the waiter's continuation on this thread.
        for (Lease w : wake) {
            w.granted.complete(w);
        }
    }

    private static boolean conflictsWithAny(Lease lease, Iterable<Lease> others) {
        for (Lease o : others) {
            if (lease.conflictsWith(o)) {
                return true;
            }
        }
        return false;
    }
}
