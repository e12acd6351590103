package org.blockmirror.journal;

/**
 * Logical region positions of the live records, by seq: a growable ring of longs
 * (8 bytes per unacknowledged record). Lets readers and release() find a record without
 * scanning. Not thread-safe; the journal guards it with its lock.
 */
final class PositionIndex {
    private long[] ring = new long[1024];
    private int first;      // ring slot of firstSeq
    private int size;
    private long firstSeq;

    PositionIndex(long firstSeq) {
        this.firstSeq = firstSeq;
    }

    long firstSeq() {
        return firstSeq;
    }

    /** One past the last indexed seq. */
    long endSeq() {
        return firstSeq + size;
    }

    void add(long seq, long position) {
        if (seq != endSeq()) {
            throw new IllegalStateException("index expects seq " + endSeq() + ", got " + seq);
        }
        if (size == ring.length) {
            long[] bigger = new long[ring.length * 2];
            for (int i = 0; i < size; i++) {
                bigger[i] = ring[(first + i) & (ring.length - 1)];
            }
            ring = bigger;
            first = 0;
        }
        ring[(first + size) & (ring.length - 1)] = position;
        size++;
    }

    long positionOf(long seq) {
        if (seq < firstSeq || seq >= endSeq()) {
            throw new IllegalStateException("seq " + seq + " is not indexed (" + firstSeq + ".." + (endSeq() - 1) + ")");
        }
        return ring[(first + (int) (seq - firstSeq)) & (ring.length - 1)];
    }

    /** Forgets every seq up to and including {@code seq}. */
    void dropThrough(long seq) {
        long n = Math.min(seq - firstSeq + 1, size);
        if (n <= 0) {
            return;
        }
        first = (int) ((first + n) & (ring.length - 1));
        size -= (int) n;
        firstSeq += n;
    }
}
