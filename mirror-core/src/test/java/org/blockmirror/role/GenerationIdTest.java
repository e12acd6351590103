package org.blockmirror.role;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

class GenerationIdTest {

    @Test
    void randomNeverReturnsNone() {
        long[] draws = {0, 0, 42};
        RandomGenerator zerosFirst = new RandomGenerator() {
            int i;

            @Override
            public long nextLong() {
                return draws[i++];
            }
        };
        assertEquals(new GenerationId(42), GenerationId.random(zerosFirst));
    }

    @Test
    void noneIsZeroAndPrintsAsNone() {
        assertTrue(GenerationId.NONE.isNone());
        assertEquals("none", GenerationId.NONE.toString());
        assertEquals("00000000000000ff", new GenerationId(255).toString());
        assertEquals("ffffffffffffffff", new GenerationId(-1).toString());
    }
}
