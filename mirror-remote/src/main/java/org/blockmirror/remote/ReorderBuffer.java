package org.blockmirror.remote;

import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * Holds writes that arrived ahead of their turn (over another of the n connections) until
 * every earlier sequence number is there. Bounded by bytes; the local unit never has more
 * than the advertised window in flight, so hitting the bound means a misbehaving peer.
 *
 * <p>Not thread-safe: the {@link Applier} guards it.
 */
final class ReorderBuffer<T> {

    enum Offer { ACCEPTED, DUPLICATE, ALREADY_BUFFERED, OVERFLOW }

    private record Held<T>(T item, long bytes) {
    }

    private final TreeMap<Long, Held<T>> held = new TreeMap<>();
    private final long capacityBytes;
    private long heldBytes;
    private long nextSeq;

    ReorderBuffer(long capacityBytes, long nextSeq) {
        this.capacityBytes = capacityBytes;
        this.nextSeq = nextSeq;
    }

    Offer offer(long seq, T item, long bytes) {
        if (seq < nextSeq) {
            return Offer.DUPLICATE;
        }
        if (held.containsKey(seq)) {
            return Offer.ALREADY_BUFFERED;
        }
        // the record we wait for is always let in, so a full buffer can never deadlock
        if (seq != nextSeq && heldBytes + bytes > capacityBytes) {
            return Offer.OVERFLOW;
        }
        held.put(seq, new Held<>(item, bytes));
        heldBytes += bytes;
        return Offer.ACCEPTED;
    }

    /**
     * Swaps the item held for {@code seq} for a newer copy (a resend that arrived on a live
     * connection) and returns the one it replaces, or null if nothing is held for {@code seq}.
     */
    T replace(long seq, T item, long bytes) {
        Held<T> old = held.get(seq);
        if (old == null) {
            return null;
        }
        held.put(seq, new Held<>(item, bytes));
        heldBytes += bytes - old.bytes();
        return old.item();
    }

    /** Drops the item held for {@code seq} and returns it, or null if none is held. */
    T remove(long seq) {
        Held<T> h = held.remove(seq);
        if (h == null) {
            return null;
        }
        heldBytes -= h.bytes();
        return h.item();
    }

    /** The record with the next sequence number, or null while it has not arrived. */
    T pollNext() {
        Held<T> h = held.remove(nextSeq);
        if (h == null) {
            return null;
        }
        heldBytes -= h.bytes();
        nextSeq++;
        return h.item();
    }

    /** The record with the next sequence number, left in place, or null while it has not arrived. */
    T peekNext() {
        Held<T> h = held.get(nextSeq);
        return h == null ? null : h.item();
    }

    boolean hasNext() {
        return held.containsKey(nextSeq);
    }

    /** Puts back the expectation to {@code seq} (a record failed to apply and must be resent). */
    void rewindTo(long seq) {
        if (seq < nextSeq) {
            nextSeq = seq;
        }
    }

    /** Expects {@code seq} next, whatever was expected before (a remirror moved the applied seq). */
    void restartAt(long seq) {
        nextSeq = seq;
    }

    void clear(Consumer<T> onDrop) {
        held.values().forEach(h -> onDrop.accept(h.item()));
        held.clear();
        heldBytes = 0;
    }

    long nextSeq() {
        return nextSeq;
    }

    long heldBytes() {
        return heldBytes;
    }

    int heldCount() {
        return held.size();
    }
}
