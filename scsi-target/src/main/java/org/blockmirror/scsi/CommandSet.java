package org.blockmirror.scsi;

import java.util.List;

/**
 * The commands this disk implements, with their CDB usage masks (SBC-3/SPC-4 layouts). The
 * protection fields (RDPROTECT/WRPROTECT/VRPROTECT), ANCHOR and NACA are deliberately absent from
 * the masks: the disk supports neither protection information, anchored unmap nor ACA.
 */
final class CommandSet {
    private CommandSet() {
    }

    static final int TEST_UNIT_READY = 0x00;
    static final int REQUEST_SENSE = 0x03;
    static final int READ_6 = 0x08;
    static final int WRITE_6 = 0x0A;
    static final int INQUIRY = 0x12;
    static final int MODE_SELECT_6 = 0x15;
    static final int MODE_SENSE_6 = 0x1A;
    static final int START_STOP_UNIT = 0x1B;
    static final int READ_CAPACITY_10 = 0x25;
    static final int READ_10 = 0x28;
    static final int WRITE_10 = 0x2A;
    static final int WRITE_AND_VERIFY_10 = 0x2E;
    static final int VERIFY_10 = 0x2F;
    static final int SYNCHRONIZE_CACHE_10 = 0x35;
    static final int WRITE_SAME_10 = 0x41;
    static final int UNMAP = 0x42;
    static final int MODE_SELECT_10 = 0x55;
    static final int MODE_SENSE_10 = 0x5A;
    static final int READ_16 = 0x88;
    static final int COMPARE_AND_WRITE = 0x89;
    static final int WRITE_16 = 0x8A;
    static final int WRITE_AND_VERIFY_16 = 0x8E;
    static final int VERIFY_16 = 0x8F;
    static final int SYNCHRONIZE_CACHE_16 = 0x91;
    static final int WRITE_SAME_16 = 0x93;
    static final int SERVICE_ACTION_IN_16 = 0x9E;
    static final int SA_READ_CAPACITY_16 = 0x10;
    static final int REPORT_LUNS = 0xA0;
    static final int MAINTENANCE_IN = 0xA3;
    static final int SA_REPORT_SUPPORTED_OPCODES = 0x0C;
    static final int READ_12 = 0xA8;
    static final int WRITE_12 = 0xAA;

    private static final int NR = CommandDescriptor.WHILE_NOT_READY;
    private static final int PI = CommandDescriptor.PROTECT_FIELD;
    private static final int LBA = 0xff;
    private static final int ANY = 0xff;

    /** Every supported command, in opcode order (the order REPORT SUPPORTED OPERATION CODES lists them). */
    static final List<CommandDescriptor> ALL = List.of(
            CommandDescriptor.of("TEST UNIT READY", 0, TEST_UNIT_READY, 0, 0, 0, 0, 0),
            CommandDescriptor.of("REQUEST SENSE", NR, REQUEST_SENSE, 0x01, 0, 0, ANY, 0),
            CommandDescriptor.of("READ(6)", 0, READ_6, 0x1f, LBA, LBA, ANY, 0),
            CommandDescriptor.of("WRITE(6)", 0, WRITE_6, 0x1f, LBA, LBA, ANY, 0),
            CommandDescriptor.of("INQUIRY", NR, INQUIRY, 0x01, ANY, ANY, ANY, 0),
            CommandDescriptor.of("MODE SELECT(6)", NR, MODE_SELECT_6, 0x11, 0, 0, ANY, 0),
            CommandDescriptor.of("MODE SENSE(6)", NR, MODE_SENSE_6, 0x08, ANY, ANY, ANY, 0),
            CommandDescriptor.of("START STOP UNIT", 0, START_STOP_UNIT, 0x01, 0, 0, 0x05, 0),
            CommandDescriptor.of("READ CAPACITY(10)", NR, READ_CAPACITY_10, 0, LBA, LBA, LBA, LBA, 0, 0, 0x01, 0),
            CommandDescriptor.of("READ(10)", PI, READ_10, 0x1e, LBA, LBA, LBA, LBA, 0x1f, ANY, ANY, 0),
            CommandDescriptor.of("WRITE(10)", PI, WRITE_10, 0x1a, LBA, LBA, LBA, LBA, 0x1f, ANY, ANY, 0),
            CommandDescriptor.of("WRITE AND VERIFY(10)", PI, WRITE_AND_VERIFY_10, 0x16, LBA, LBA, LBA, LBA, 0x1f, ANY, ANY, 0),
            CommandDescriptor.of("VERIFY(10)", PI, VERIFY_10, 0x16, LBA, LBA, LBA, LBA, 0x1f, ANY, ANY, 0),
            CommandDescriptor.of("SYNCHRONIZE CACHE(10)", 0, SYNCHRONIZE_CACHE_10, 0x02, LBA, LBA, LBA, LBA, 0x1f, ANY, ANY, 0),
            CommandDescriptor.of("WRITE SAME(10)", PI, WRITE_SAME_10, 0x08, LBA, LBA, LBA, LBA, 0x1f, ANY, ANY, 0),
            CommandDescriptor.of("UNMAP", 0, UNMAP, 0, 0, 0, 0, 0, 0x1f, ANY, ANY, 0),
            CommandDescriptor.of("MODE SELECT(10)", NR, MODE_SELECT_10, 0x11, 0, 0, 0, 0, 0, ANY, ANY, 0),
            CommandDescriptor.of("MODE SENSE(10)", NR, MODE_SENSE_10, 0x18, ANY, ANY, 0, 0, 0, ANY, ANY, 0),
            CommandDescriptor.of("READ(16)", PI, READ_16, 0x1e, LBA, LBA, LBA, LBA, LBA, LBA, LBA, LBA, ANY, ANY, ANY, ANY, 0x1f, 0),
            CommandDescriptor.of("COMPARE AND WRITE", PI, COMPARE_AND_WRITE, 0x1a, LBA, LBA, LBA, LBA, LBA, LBA, LBA, LBA, 0, 0, 0, ANY, 0x1f, 0),
            CommandDescriptor.of("WRITE(16)", PI, WRITE_16, 0x1a, LBA, LBA, LBA, LBA, LBA, LBA, LBA, LBA, ANY, ANY, ANY, ANY, 0x1f, 0),
            CommandDescriptor.of("WRITE AND VERIFY(16)", PI, WRITE_AND_VERIFY_16, 0x16, LBA, LBA, LBA, LBA, LBA, LBA, LBA, LBA, ANY, ANY, ANY, ANY, 0x1f, 0),
            CommandDescriptor.of("VERIFY(16)", PI, VERIFY_16, 0x16, LBA, LBA, LBA, LBA, LBA, LBA, LBA, LBA, ANY, ANY, ANY, ANY, 0x1f, 0),
            CommandDescriptor.of("SYNCHRONIZE CACHE(16)", 0, SYNCHRONIZE_CACHE_16, 0x02, LBA, LBA, LBA, LBA, LBA, LBA, LBA, LBA, ANY, ANY, ANY, ANY, 0x1f, 0),
            CommandDescriptor.of("WRITE SAME(16)", PI, WRITE_SAME_16, 0x09, LBA, LBA, LBA, LBA, LBA, LBA, LBA, LBA, ANY, ANY, ANY, ANY, 0x1f, 0),
            CommandDescriptor.withServiceAction("READ CAPACITY(16)", NR, SERVICE_ACTION_IN_16, SA_READ_CAPACITY_16,
                    LBA, LBA, LBA, LBA, LBA, LBA, LBA, LBA, ANY, ANY, ANY, ANY, 0x01, 0),
            CommandDescriptor.of("REPORT LUNS", NR, REPORT_LUNS, 0, ANY, 0, 0, 0, ANY, ANY, ANY, ANY, 0, 0),
            CommandDescriptor.withServiceAction("REPORT SUPPORTED OPERATION CODES", NR, MAINTENANCE_IN,
                    SA_REPORT_SUPPORTED_OPCODES, 0x87, ANY, ANY, ANY, ANY, ANY, ANY, ANY, 0, 0),
            CommandDescriptor.of("READ(12)", PI, READ_12, 0x1e, LBA, LBA, LBA, LBA, ANY, ANY, ANY, ANY, 0x1f, 0),
            CommandDescriptor.of("WRITE(12)", PI, WRITE_12, 0x1a, LBA, LBA, LBA, LBA, ANY, ANY, ANY, ANY, 0x1f, 0));

    /** Whether any supported command uses this opcode with a service action. */
    static boolean opcodeHasServiceActions(int opcode) {
        return opcode == SERVICE_ACTION_IN_16 || opcode == MAINTENANCE_IN;
    }

    /** The descriptor for opcode (and service action, for opcodes that have them), or null. */
    static CommandDescriptor find(int opcode, int serviceAction) {
        for (CommandDescriptor d : ALL) {
            if (d.opcode() == opcode && (!d.hasServiceAction() || d.serviceAction() == serviceAction)) {
                return d;
            }
        }
        return null;
    }
}
