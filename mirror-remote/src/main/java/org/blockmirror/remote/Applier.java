package org.blockmirror.remote;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.zip.CRC32C;
import org.blockmirror.volume.Volume;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies received writes to the remote volume strictly in sequence order, whichever of the n
 * connections they arrived on.
 *
 * <p>The {@link ReorderBuffer} is drained in contiguous batches: write each record, fdatasync the
 * volume once, persist the applied sequence number, then send each connection that carried
 * writes of the batch one ACK, for the highest of them. An ACK therefore means "this write and
 * all before it are durable here". Writes that fail their CRC or the volume are NAKed and the
 * sequence is rewound so the local unit's resend (after it resets the session) is accepted.
 *
 * <p>Who applies a batch: the receiving event loop offers the writes of one read burst with
 * {@link #offerInBurst} and, when the burst ends, {@link #endBurst} wakes the applier thread for
 * them — or, with apply.inline-max-bytes above 0, applies a small batch on its own thread if
 * nobody is applying, sparing the hand-off (off by default: slower in the one-vCPU benchmark
 * guest). Larger batches, and whatever arrives while a batch is being applied, go to the applier
 * thread, so a long fdatasync never holds an event loop. One batch is applied at a time,
 * whichever thread applies it ({@code applying}).
 *
 * <p>Verified ack mode: a write offered with {@link #offerForVerification} also waits, in the
 * reorder buffer, for the local unit's ACK_ACK ({@link VerificationLedger}); a NAK verdict drops
 * it, and the local unit resends it on the same connection.
 */
final class Applier implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Applier.class);
    private static final int MAX_BATCH_RECORDS = 512;
    private static final long MAX_BATCH_BYTES = 32L << 20;
    /** A batch of at most this many records, and apply.inline-max-bytes, may be applied on the event loop. */
    private static final int INLINE_MAX_RECORDS = 64;

    private final Volume volume;
    /** apply.inline-max-bytes: the largest batch an event loop applies itself; 0: the applier thread applies all. */
    private final long inlineMaxBytes;
    private final AppliedSequence applied;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition work = lock.newCondition();
    private final Condition idle = lock.newCondition();
    /** A batch taken from the reorder buffer is being written. Guarded by lock. */
    private boolean applying;
    private final ReorderBuffer<IncomingWrite> reorder;
    /** Duplicates of writes in the batch being applied: acknowledged once it is durable. */
    private final List<IncomingWrite> pendingDuplicateAcks = new ArrayList<>();
    private final Thread thread;
    private final AtomicLong blocksApplied = new AtomicLong();
    private final AtomicLong writesApplied = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    /** Verified ack mode: held writes waiting for the local unit's verdict. Guarded by lock. */
    private final VerificationLedger verification = new VerificationLedger();
    private final AtomicLong verified = new AtomicLong();
    private final AtomicLong verifyMismatches = new AtomicLong();
    private volatile boolean closed;

    Applier(Volume volume, AppliedSequence applied, long reorderCapacityBytes) {
        this(volume, applied, reorderCapacityBytes, RemoteConfig.DEFAULT_INLINE_APPLY_MAX_BYTES);
    }

    Applier(Volume volume, AppliedSequence applied, long reorderCapacityBytes, long inlineMaxBytes) {
        this.volume = volume;
        this.inlineMaxBytes = inlineMaxBytes;
        this.applied = applied;
        this.reorder = new ReorderBuffer<>(reorderCapacityBytes, applied.get() + 1);
        this.thread = new Thread(this::run, "remote-applier");
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /** Whether the applier thread is parked waiting for work (tests: nothing can wake it by accident). */
    boolean threadIsWaiting() {
        return thread.getState() == Thread.State.WAITING;
    }

    long durableAppliedSeq() {
        return applied.get();
    }

    long blocksApplied() {
        return blocksApplied.get();
    }

    long writesApplied() {
        return writesApplied.get();
    }

    long failures() {
        return failures.get();
    }

    /** Verified ack mode: writes the local unit confirmed (ACK_ACK). */
    long verified() {
        return verified.get();
    }

    /** Verified ack mode: writes the local unit rejected (NAK verdict), each dropped and resent. */
    long verifyMismatches() {
        return verifyMismatches.get();
    }

    long bufferedBytes() {
        lock.lock();
        try {
            return reorder.heldBytes();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Hands over a received write (ownership of its data included).
     *
     * @return false if the reorder window is exceeded: the peer broke the window it was given
     */
    boolean offer(IncomingWrite w) {
        return admit(w, null, true) != Admitted.OVERFLOW;
    }

    /**
     * Like {@link #offer}, but leaves the applier thread asleep: the caller ends its burst of
     * offers with {@link #endBurst}, which applies them or wakes the thread.
     */
    boolean offerInBurst(IncomingWrite w) {
        return admit(w, null, false) != Admitted.OVERFLOW;
    }

    /**
     * Ends a burst of {@link #offerInBurst}: if nobody is applying, applies the next batch on this
     * thread when it is small, or wakes the applier thread for it. If a batch is being applied,
     * the writes wait for the thread that applies it: it takes them next or wakes the applier.
     */
    void endBurst() {
        List<IncomingWrite> batch;
        lock.lock();
        try {
            if (closed || applying) {
                return;
            }
            IncomingWrite next = peekApplicable();
            if (next == null) {
                return;
            }
            if (inlineMaxBytes == 0 || next.sizeBytes() > inlineMaxBytes) {
                work.signal();
                return;
            }
            batch = new ArrayList<>();
            takeBatch(batch, INLINE_MAX_RECORDS, inlineMaxBytes);
            applying = true;
        } finally {
            lock.unlock();
        }
        applyAndHandOn(batch);
    }

    /** What became of a write offered for verification. */
    enum Admitted {
        /** Held until its turn and its verdict: send VERIFY with the CRC32C given. */
        AWAITING_VERDICT,
        /** Already applied (it is, or will be, acknowledged) or the applier is closed: no VERIFY. */
        ANSWERED,
        /** The peer broke the reorder window it was given. */
        OVERFLOW
    }

    /**
     * Verified ack mode: hands over a received write whose data this unit computed the CRC32C
     * {@code computedCrc} of. Unless it was applied already, it is held (counting against the
     * reorder window) and applied only after {@link #verdict} confirms this copy.
     */
    Admitted offerForVerification(IncomingWrite w, int computedCrc) {
        return admit(w, computedCrc, true);
    }

    /**
     * The local unit's verdict on the copy of {@code seq} that came from {@code from} with the
     * CRC32C {@code remoteCrc}: ACK_ACK lets it be applied in its turn; NAK drops it, and the
     * local unit resends it.
     *
     * @return false if no such copy waits for a verdict (stale: its session ended, or a resend
     *     replaced it); nothing changes then
     */
    boolean verdict(long seq, WriteResponder from, int remoteCrc, boolean ackAck) {
        lock.lock();
        try {
            if (ackAck) {
                if (!verification.confirm(seq, from, remoteCrc)) {
                    return false;
                }
                verified.incrementAndGet();
                work.signal();
                return true;
            }
            if (!verification.reject(seq, from, remoteCrc)) {
                return false;
            }
            verifyMismatches.incrementAndGet();
            IncomingWrite dropped = reorder.remove(seq);
            if (dropped != null) {
                dropped.release();
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * @param verifyCrc the CRC32C reported in VERIFY, or null if the write needs no verdict
     * @param wake whether to wake the applier thread (else the caller will call {@link #endBurst})
     */
    private Admitted admit(IncomingWrite w, Integer verifyCrc, boolean wake) {
        lock.lock();
        try {
            if (closed) {
                w.release();
                return Admitted.ANSWERED;
            }
            ReorderBuffer.Offer result = reorder.offer(w.seq(), w, w.sizeBytes());
            switch (result) {
                case ACCEPTED -> {
                    track(w, verifyCrc);
                    if (wake) {
                        work.signal();
                    }
                }
                case DUPLICATE -> {
                    w.release();
                    if (w.seq() <= applied.get()) {
                        // no batch will flush this connection for us: it may carry nothing else
                        w.responder().ack(w.seq());
                        w.responder().flush();
                    } else {
                        pendingDuplicateAcks.add(w);
                    }
                }
                case ALREADY_BUFFERED -> {
                    // A resend of a write still waiting its turn. The held copy came on a
                    // connection of an earlier session, now closed: answer on the resend's.
                    IncomingWrite previous = reorder.replace(w.seq(), w, w.sizeBytes());
                    if (previous != null) {
                        previous.release();
                    }
                    track(w, verifyCrc); // a verdict on the replaced copy no longer counts
                    if (wake) {
                        work.signal();
                    }
                }
                case OVERFLOW -> {
                    w.release();
                    return Admitted.OVERFLOW;
                }
            }
            return result == ReorderBuffer.Offer.DUPLICATE ? Admitted.ANSWERED : Admitted.AWAITING_VERDICT;
        } finally {
            lock.unlock();
        }
    }

    /** Enters a held write in the ledger, or takes it out if it needs no verdict. Lock held. */
    private void track(IncomingWrite w, Integer verifyCrc) {
        if (verifyCrc == null) {
            verification.forget(w.seq());
        } else {
            verification.awaitVerdict(w.seq(), w.responder(), verifyCrc);
        }
    }

    /** The next write in seq order if it is here and needs no verdict or was confirmed; else null. Lock held. */
    private IncomingWrite peekApplicable() {
        if (!reorder.hasNext() || !verification.mayApply(reorder.nextSeq())) {
            return null;
        }
        return reorder.peekNext();
    }

    /**
     * Moves the applicable writes, in seq order, into {@code batch}: at least one (the caller saw
     * it with {@link #peekApplicable}), then more while they fit both limits. Lock held.
     */
    private void takeBatch(List<IncomingWrite> batch, int maxRecords, long maxBytes) {
        long bytes = 0;
        for (IncomingWrite w = peekApplicable(); w != null; w = peekApplicable()) {
            if (!batch.isEmpty() && (batch.size() >= maxRecords || bytes + w.sizeBytes() > maxBytes)) {
                break;
            }
            reorder.pollNext();
            verification.forget(w.seq());
            batch.add(w);
            bytes += w.sizeBytes();
        }
    }

    /**
     * After a remirror: every write before {@code resumeSeq} is on the volume (the remirror
     * wrote it), so the applied seq becomes {@code resumeSeq - 1}, durably, and the journal
     * stream continues at {@code resumeSeq}. Writes held out of order are dropped (the local
     * unit sends nothing but remirror frames before the remirror ends).
     */
    void restartAt(long resumeSeq) throws IOException {
        lock.lock();
        try {
            reorder.clear(IncomingWrite::release);
            verification.clear();
            applied.persist(resumeSeq - 1);
            reorder.restartAt(resumeSeq);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Before a remirror: drops writes held out of order and waits until the batch being written
     * is done, so no journal write of an earlier session lands after (and over) remirror data.
     */
    void quiesce() throws InterruptedException {
        lock.lock();
        try {
            reorder.clear(IncomingWrite::release);
            verification.clear();
            while (applying && !closed) {
                idle.await(100, java.util.concurrent.TimeUnit.MILLISECONDS);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Drops writes waiting out of order: the local unit resends everything after the applied sequence. */
    void resetSession() {
        lock.lock();
        try {
            reorder.clear(IncomingWrite::release);
            verification.clear();
        } finally {
            lock.unlock();
        }
    }

    private void run() {
        List<IncomingWrite> batch = new ArrayList<>();
        while (true) {
            lock.lock();
            try {
                while (!closed && (applying || peekApplicable() == null)) {
                    work.awaitUninterruptibly();
                }
                if (closed) {
                    return;
                }
                takeBatch(batch, MAX_BATCH_RECORDS, MAX_BATCH_BYTES);
                applying = true;
            } finally {
                lock.unlock();
            }
            applyAndHandOn(batch);
            batch.clear();
        }
    }

    /**
     * Applies a batch taken with {@code applying} set, then clears it; if more writes became
     * applicable meanwhile, wakes the applier thread for them (an event loop applies one batch
     * at most, and the thread itself just loops).
     */
    private void applyAndHandOn(List<IncomingWrite> batch) {
        try {
            applyBatch(batch);
        } finally {
            lock.lock();
            try {
                applying = false;
                idle.signalAll();
                if (peekApplicable() != null) {
                    work.signal();
                }
            } finally {
                lock.unlock();
            }
        }
    }

    private void applyBatch(List<IncomingWrite> batch) {
        List<IncomingWrite> done = new ArrayList<>(batch.size());
        IncomingWrite failed = null;
        Rejection rejection = null;
        for (IncomingWrite w : batch) {
            if (failed != null) {
                w.release(); // after a failure the rest must wait for the resend, in order
                continue;
            }
            rejection = applyOne(w);
            if (rejection == null) {
                done.add(w);
            } else {
                failed = w;
            }
        }
        if (failed != null) {
            lock.lock();
            try {
                reorder.rewindTo(failed.seq());
            } finally {
                lock.unlock();
            }
            // Only now: the NAK may bring the resend at once, and it must find the sequence rewound
            // (before, it was taken for a duplicate of an applied write and never answered).
            failed.responder().nak(failed.seq(), rejection.failure(), rejection.message());
        }
        if (done.isEmpty()) {
            return;
        }
        long last = done.get(done.size() - 1).seq();
        try {
            volume.flush();
            applied.persist(last);
        } catch (IOException e) {
            failures.incrementAndGet();
            log.error("cannot make applied writes durable on {} (up to seq {}): {}", volume.describe(), last, e.getMessage());
            lock.lock();
            try {
                reorder.rewindTo(done.get(0).seq());
            } finally {
                lock.unlock();
            }
            for (IncomingWrite w : done) {
                w.responder().nak(w.seq(), WriteResponder.Failure.IO_ERROR, "flush failed: " + e.getMessage());
            }
            return;
        }
        // One ACK per connection, for the highest seq it carried: ACKs are cumulative (wire-protocol.md)
        Map<WriteResponder, Long> highest = new LinkedHashMap<>();
        long blocks = 0;
        for (IncomingWrite w : done) {
            blocks += w.blockCount();
            highest.merge(w.responder(), w.seq(), Math::max);
        }
        writesApplied.addAndGet(done.size());
        blocksApplied.addAndGet(blocks);
        List<IncomingWrite> duplicates;
        lock.lock();
        try {
            duplicates = new ArrayList<>(pendingDuplicateAcks);
            pendingDuplicateAcks.removeIf(d -> d.seq() <= last);
            duplicates.removeIf(d -> d.seq() > last);
        } finally {
            lock.unlock();
        }
        for (IncomingWrite d : duplicates) {
            highest.merge(d.responder(), d.seq(), Math::max);
        }
        highest.forEach(WriteResponder::ack);
        highest.keySet().forEach(WriteResponder::flush);
    }

    /** Why a write was not applied; the caller NAKs it once the sequence is rewound. */
    private record Rejection(WriteResponder.Failure failure, String message) {
    }

    /** Writes one record to the volume; returns null on success or why it must be NAKed. */
    private Rejection applyOne(IncomingWrite w) {
        int bs = volume.blockSize();
        try {
            if (w.lba() < 0 || w.blockCount() < 0 || w.lba() + w.blockCount() > volume.blockCount()) {
                return fail(w, WriteResponder.Failure.OUT_OF_RANGE, "blocks " + w.lba() + "+" + w.blockCount()
                        + " are beyond the volume (" + volume.blockCount() + " blocks)");
            }
            if (w.trim()) {
                writeZeros(w.lba() * bs, (long) w.blockCount() * bs);
                return null;
            }
            ByteBuffer data = w.data().nioBuffer();
            CRC32C crc = new CRC32C();
            crc.update(data.duplicate());
            if ((int) crc.getValue() != w.dataCrc32c()) {
                return fail(w, WriteResponder.Failure.CRC_MISMATCH, String.format(
                        "data CRC32C 0x%08x does not match 0x%08x sent", (int) crc.getValue(), w.dataCrc32c()));
            }
            volume.write(w.lba() * bs, data);
            return null;
        } catch (IOException e) {
            return fail(w, WriteResponder.Failure.IO_ERROR, e.getMessage());
        } finally {
            w.release();
        }
    }

    private Rejection fail(IncomingWrite w, WriteResponder.Failure failure, String message) {
        failures.incrementAndGet();
        log.warn("cannot apply write seq {} ({}): {}", w.seq(), failure, message);
        return new Rejection(failure, message);
    }

    private void writeZeros(long offset, long length) throws IOException {
        ByteBuffer zeros = ByteBuffer.allocateDirect((int) Math.min(length, 1 << 20));
        long pos = offset;
        long end = offset + length;
        while (pos < end) {
            int n = (int) Math.min(zeros.capacity(), end - pos);
            zeros.clear().limit(n);
            volume.write(pos, zeros);
            pos += n;
        }
    }

    @Override
    public void close() throws InterruptedException {
        lock.lock();
        try {
            closed = true;
            work.signalAll();
            reorder.clear(IncomingWrite::release);
            verification.clear();
        } finally {
            lock.unlock();
        }
        thread.join(10_000);
    }
}
