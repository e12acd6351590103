package org.blockmirror.local;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Runs of blocks, each labelled with the seq of a journal record: non-overlapping extents kept
 * by first LBA, plus an index by seq so every extent of old seqs can be dropped at once. Memory
 * is per extent (about 150 bytes), not per block. Not thread-safe.
 */
final class ExtentMap {

    /** Blocks {@code lba .. lba+blocks-1}, labelled {@code seq}. */
    record Extent(long lba, long blocks, long seq) {
        long end() {
            return lba + blocks;
        }
    }

    private final TreeMap<Long, Extent> byLba = new TreeMap<>();
    private final TreeMap<Long, Set<Long>> lbasBySeq = new TreeMap<>();

    /** Labels {@code [lba, lba+blocks)} with {@code seq}, replacing whatever labelled them before. */
    void paint(long lba, long blocks, long seq) {
        cut(lba, blocks);
        put(new Extent(lba, blocks, seq));
    }

    /** The labelled parts of {@code [lba, lba+blocks)}, clipped to it, in LBA order; unchanged. */
    List<Extent> pieces(long lba, long blocks) {
        if (byLba.isEmpty()) {
            return List.of(); // the usual case (no COMPACT record queued): every host write asks
        }
        List<Extent> out = new ArrayList<>();
        long end = lba + blocks;
        Long from = byLba.floorKey(lba);
        for (Extent e : byLba.subMap(from == null ? lba : from, true, end, false).values()) {
            long s = Math.max(e.lba, lba);
            long t = Math.min(e.end(), end);
            if (s < t) {
                out.add(new Extent(s, t - s, e.seq));
            }
        }
        return out;
    }

    /** Removes every label from {@code [lba, lba+blocks)}, splitting extents that stick out. */
    void cut(long lba, long blocks) {
        long end = lba + blocks;
        for (Extent e : pieces(lba, blocks)) {
            Extent whole = byLba.floorEntry(e.lba).getValue();
            remove(whole);
            if (whole.lba < lba) {
                put(new Extent(whole.lba, lba - whole.lba, whole.seq));
            }
            if (whole.end() > end) {
                put(new Extent(end, whole.end() - end, whole.seq));
            }
        }
    }

    /** Removes every extent labelled with a seq up to and including {@code seq}. */
    void removeThrough(long seq) {
        Map<Long, Set<Long>> old = lbasBySeq.headMap(seq, true);
        for (Set<Long> lbas : old.values()) {
            for (long lba : lbas) {
                byLba.remove(lba);
            }
        }
        old.clear();
    }

    int size() {
        return byLba.size();
    }

    boolean isEmpty() {
        return byLba.isEmpty();
    }

    private void put(Extent e) {
        byLba.put(e.lba, e);
        lbasBySeq.computeIfAbsent(e.seq, k -> new HashSet<>()).add(e.lba);
    }

    private void remove(Extent e) {
        byLba.remove(e.lba);
        Set<Long> lbas = lbasBySeq.get(e.seq);
        if (lbas != null) {
            lbas.remove(e.lba);
            if (lbas.isEmpty()) {
                lbasBySeq.remove(e.seq);
            }
        }
    }
}
