package org.blockmirror.tcmu;

/**
 * What the transport must know about a CDB before the emulation sees it: its length (the ring
 * gives only an offset) and which way its data flows (the ring's iovecs carry no direction:
 * the kernel copies data-out into them, or leaves them for data-in).
 */
final class CdbFacts {
    private CdbFacts() {
    }

    /** CDB length by group code (opcode bits 7..5), as the kernel's scsi_command_size_tbl. */
    private static final int[] LENGTH_BY_GROUP = {6, 10, 10, 12, 16, 12, 10, 10};
    static final int VARIABLE_LENGTH_CDB = 0x7f;
    /** SPC: a variable-length CDB is 8 bytes + ADDITIONAL CDB LENGTH (byte 7), at most 260. */
    static final int MAX_CDB_LENGTH = 260;

    /**
     * @param opcode          byte 0
     * @param additionalLength byte 7, only used for variable-length CDBs
     */
    static int length(int opcode, int additionalLength) {
        if (opcode == VARIABLE_LENGTH_CDB) {
            return 8 + additionalLength;
        }
        return LENGTH_BY_GROUP[(opcode >> 5) & 0x7];
    }

    /**
     * Opcodes whose data buffer flows initiator → target. Every other command with iovecs is
     * treated as data-in: a data-out command we do not list reaches the emulation with no data
     * and fails with a CHECK CONDITION (never a silent write of garbage).
     */
    static boolean isDataOut(int opcode) {
        return switch (opcode) {
            case 0x04, // FORMAT UNIT (parameter list)
                 0x07, // REASSIGN BLOCKS
                 0x0a, // WRITE(6)
                 0x15, // MODE SELECT(6)
                 0x1d, // SEND DIAGNOSTIC
                 0x2a, // WRITE(10)
                 0x2e, // WRITE AND VERIFY(10)
                 0x2f, // VERIFY(10) (data-out when BYTCHK is set, else no iovecs)
                 0x3f, // WRITE LONG(10)
                 0x3b, // WRITE BUFFER
                 0x41, // WRITE SAME(10)
                 0x42, // UNMAP
                 0x4c, // LOG SELECT
                 0x55, // MODE SELECT(10)
                 0x5f, // PERSISTENT RESERVE OUT
                 0x83, // EXTENDED COPY
                 0x89, // COMPARE AND WRITE
                 0x8a, // WRITE(16)
                 0x8b, // ORWRITE(16)
                 0x8e, // WRITE AND VERIFY(16)
                 0x8f, // VERIFY(16)
                 0x93, // WRITE SAME(16)
                 0x9c, // WRITE ATOMIC(16)
                 0xa4, // MAINTENANCE OUT (SET TARGET PORT GROUPS)
                 0xaa, // WRITE(12)
                 0xae, // WRITE AND VERIFY(12)
                 0xaf, // VERIFY(12)
                 0xb5  // SECURITY PROTOCOL OUT
                    -> true;
            default -> false;
        };
    }
}
