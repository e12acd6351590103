package org.blockmirror.scsi;

/**
 * One supported command (opcode, optional service action) and its CDB usage data: a mask of the
 * bits the emulation understands, in the format REPORT SUPPORTED OPERATION CODES returns. Any CDB
 * bit outside the mask is a reserved or unsupported bit and ends the command with INVALID FIELD IN
 * CDB pointing at it. For service-action commands byte 1 of the usage data holds the service
 * action itself (as SPC-4 requires), and those bits are matched, not masked.
 *
 * @param name             the SPC/SBC command name, for logs and docs
 * @param usage            CDB usage data; its length is the CDB length
 * @param flags            {@link #WHILE_NOT_READY}, {@link #PROTECT_FIELD}
 */
record CommandDescriptor(String name, int opcode, int serviceAction, byte[] usage, int flags) {

    static final int NO_SERVICE_ACTION = -1;
    /** Answered while the device is not ready (identity and capacity queries). */
    static final int WHILE_NOT_READY = 1;
    /** Byte 1 bits 7..5 are RDPROTECT/WRPROTECT/VRPROTECT (rejected when non-zero). */
    static final int PROTECT_FIELD = 2;

    boolean whileNotReady() {
        return (flags & WHILE_NOT_READY) != 0;
    }

    boolean hasProtectField() {
        return (flags & PROTECT_FIELD) != 0;
    }

    boolean hasServiceAction() {
        return serviceAction != NO_SERVICE_ACTION;
    }

    int cdbLength() {
        return usage.length;
    }

    /** The mask for reserved-bit checks: the usage data, with the service action field let through. */
    byte[] validationMask() {
        if (!hasServiceAction()) {
            return usage;
        }
        byte[] m = usage.clone();
        m[1] |= 0x1f;
        return m;
    }

    static CommandDescriptor of(String name, int flags, int... usage) {
        return new CommandDescriptor(name, usage[0], NO_SERVICE_ACTION, toBytes(usage), flags);
    }

    static CommandDescriptor withServiceAction(String name, int flags, int... usage) {
        return new CommandDescriptor(name, usage[0], usage[1] & 0x1f, toBytes(usage), flags);
    }

    private static byte[] toBytes(int[] usage) {
        byte[] b = new byte[usage.length];
        for (int i = 0; i < usage.length; i++) {
            b[i] = (byte) usage[i];
        }
        return b;
    }
}
