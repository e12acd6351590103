package org.blockmirror.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.blockmirror.local.ExtentMap.Extent;
import org.junit.jupiter.api.Test;

/** The extent map against a per-block array doing the same operations. */
class ExtentMapTest {

    private static final int BLOCKS = 200;

    @Test
    void behavesLikeOneLabelPerBlock() {
        long seed = System.nanoTime();
        Random rnd = new Random(seed);
        ExtentMap map = new ExtentMap();
        long[] model = new long[BLOCKS]; // 0: unlabelled
        long removedThrough = 0;
        for (int step = 1; step <= 5000; step++) {
            int lba = rnd.nextInt(BLOCKS);
            int blocks = 1 + rnd.nextInt(Math.min(20, BLOCKS - lba));
            switch (rnd.nextInt(3)) {
                case 0 -> {
                    map.paint(lba, blocks, step);
                    Arrays.fill(model, lba, lba + blocks, step);
                }
                case 1 -> {
                    map.cut(lba, blocks);
                    Arrays.fill(model, lba, lba + blocks, 0);
                }
                default -> {
                    if (rnd.nextInt(10) == 0) {
                        removedThrough = Math.max(removedThrough, step - rnd.nextInt(50));
                        map.removeThrough(removedThrough);
                        for (int b = 0; b < BLOCKS; b++) {
                            if (model[b] <= removedThrough) {
                                model[b] = 0;
                            }
                        }
                    }
                }
            }
            int qLba = rnd.nextInt(BLOCKS);
            int qBlocks = 1 + rnd.nextInt(BLOCKS - qLba);
            long[] seen = new long[BLOCKS];
            long previousEnd = -1;
            for (Extent e : map.pieces(qLba, qBlocks)) {
                assertTrue(e.lba() >= qLba && e.end() <= qLba + qBlocks && e.lba() >= previousEnd,
                        "seed " + seed + ": piece " + e + " outside the query or out of order");
                previousEnd = e.end();
                Arrays.fill(seen, (int) e.lba(), (int) e.end(), e.seq());
            }
            for (int b = qLba; b < qLba + qBlocks; b++) {
                assertEquals(model[b], seen[b], "seed " + seed + ", step " + step + ", block " + b);
            }
        }
        assertTrue(map.size() <= BLOCKS);
    }

    @Test
    void cuttingTheMiddleOfAnExtentLeavesBothEnds() {
        ExtentMap map = new ExtentMap();
        map.paint(10, 10, 7);
        map.cut(13, 2);
        assertEquals(List.of(new Extent(10, 3, 7), new Extent(15, 5, 7)), map.pieces(0, 100));
        map.removeThrough(7);
        assertTrue(map.isEmpty(), "both pieces still belong to seq 7");
    }
}
