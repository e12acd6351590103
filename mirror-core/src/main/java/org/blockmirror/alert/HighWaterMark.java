package org.blockmirror.alert;

/**
 * A usage threshold with hysteresis: above once usage reaches the mark, below again only when
 * it falls a few points under it, so usage hovering at the mark does not raise and clear an
 * alert on every write.
 */
public final class HighWaterMark {

    /** Percentage points below the mark at which "above" ends (half the mark for tiny marks). */
    public static final double HYSTERESIS_POINTS = 5.0;

    private final int percent;
    private final double clearBelow;
    private boolean above;

    /** @param percent the mark, 1 to 100 (% of capacity) */
    public HighWaterMark(int percent) {
        if (percent < 1 || percent > 100) {
            throw new IllegalArgumentException("high-water mark " + percent + "% is not between 1 and 100");
        }
        this.percent = percent;
        this.clearBelow = percent - Math.min(HYSTERESIS_POINTS, percent / 2.0);
    }

    public int percent() {
        return percent;
    }

    /**
     * @param usedPercent current use, 0 to 100
     * @return whether usage counts as above the mark now
     */
    public synchronized boolean update(double usedPercent) {
        if (usedPercent >= percent) {
            above = true;
        } else if (usedPercent < clearBelow) {
            above = false;
        }
        return above;
    }
}
