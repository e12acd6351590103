package org.blockmirror.role;

import java.util.random.RandomGenerator;

/**
 * Names one generation of a volume's data: a random 64-bit number drawn whenever a unit starts a
 * history the peer may not share (promote --force, first write after losing the peer). Two units
 * holding the same generation hold the same data (as far as the mirror is concerned); random
 * values make it practically impossible for two units to invent the same one independently.
 * {@link #NONE} (0) means "no generation": a unit that never held data, or an absent field.
 */
public record GenerationId(long value) {

    public static final GenerationId NONE = new GenerationId(0);

    /** A new generation from {@code random}, never {@link #NONE}. */
    public static GenerationId random(RandomGenerator random) {
        long v;
        do {
            v = random.nextLong();
        } while (v == 0);
        return new GenerationId(v);
    }

    public boolean isNone() {
        return value == 0;
    }

    @Override
    public String toString() {
        return isNone() ? "none" : String.format("%016x", value);
    }
}
