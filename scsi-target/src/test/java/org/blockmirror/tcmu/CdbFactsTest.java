package org.blockmirror.tcmu;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class CdbFactsTest {
    @Test
    void lengthFollowsTheGroupCode() {
        assertEquals(6, CdbFacts.length(0x12, 0));   // INQUIRY
        assertEquals(10, CdbFacts.length(0x28, 0));  // READ(10)
        assertEquals(10, CdbFacts.length(0x55, 0));  // MODE SELECT(10)
        assertEquals(16, CdbFacts.length(0x88, 0));  // READ(16)
        assertEquals(12, CdbFacts.length(0xa0, 0));  // REPORT LUNS
        assertEquals(10, CdbFacts.length(0xc0, 0));  // vendor specific
        assertEquals(32, CdbFacts.length(0x7f, 24)); // variable length
    }

    @Test
    void writesAndParameterListsAreDataOut() {
        for (int opcode : new int[] {0x0a, 0x2a, 0xaa, 0x8a, 0x42, 0x15, 0x55, 0x89, 0x93, 0x41}) {
            assertTrue(CdbFacts.isDataOut(opcode), Integer.toHexString(opcode));
        }
        for (int opcode : new int[] {0x08, 0x28, 0x88, 0x12, 0x25, 0x9e, 0xa0, 0x1a, 0x5a, 0x00, 0x35}) {
            assertFalse(CdbFacts.isDataOut(opcode), Integer.toHexString(opcode));
        }
    }
}
