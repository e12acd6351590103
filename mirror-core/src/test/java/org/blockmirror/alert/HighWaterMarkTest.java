package org.blockmirror.alert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class HighWaterMarkTest {

    @Test
    void aboveAtTheMarkAndBelowOnlyAFewPointsUnderIt() {
        HighWaterMark m = new HighWaterMark(80);
        assertFalse(m.update(79.9));
        assertTrue(m.update(80.0));
        assertTrue(m.update(77.0), "hovering just under the mark stays above");
        assertTrue(m.update(75.0));
        assertFalse(m.update(74.9));
        assertFalse(m.update(79.0), "rising again below the mark is not above");
        assertTrue(m.update(100));
    }

    @Test
    void tinyMarksUseHalfTheMarkAsHysteresis() {
        HighWaterMark m = new HighWaterMark(1);
        assertTrue(m.update(1.0));
        assertTrue(m.update(0.6));
        assertFalse(m.update(0.4));
    }

    @Test
    void markOutsideOneToHundredIsRefused() {
        assertEquals("high-water mark 0% is not between 1 and 100",
                assertThrows(IllegalArgumentException.class, () -> new HighWaterMark(0)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> new HighWaterMark(101));
    }
}
