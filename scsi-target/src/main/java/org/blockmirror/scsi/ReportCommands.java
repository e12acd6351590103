package org.blockmirror.scsi;

import java.io.ByteArrayOutputStream;

/** REPORT LUNS and REPORT SUPPORTED OPERATION CODES. */
final class ReportCommands {

    ScsiResponse reportLuns(Cdb cdb, ScsiRequest request) {
        int select = cdb.u8(2);
        // 00h all, 01h well-known only, 02h all logical units: we are one LU (LUN 0), no W-LUNs.
        if (select > 0x02) {
            throw Cdb.invalidField(2, 7);
        }
        long allocationLength = cdb.u32(6);
        int luns = select == 0x01 ? 0 : 1;
        byte[] d = new byte[8 + 8 * luns];
        Bytes.putInt(d, 0, 8L * luns); // LUN LIST LENGTH; the LUN 0 entry is all zeros
        return CommandSupport.dataIn(d, allocationLength, request);
    }

    /** Reporting options 000b (all), 001b (one opcode) and 010b (opcode + service action). */
    ScsiResponse reportSupportedOperationCodes(Cdb cdb, ScsiRequest request) {
        boolean rctd = cdb.bit(2, 7);
        int options = cdb.field(2, 2, 0);
        int opcode = cdb.u8(3);
        int serviceAction = cdb.u16(4);
        long allocationLength = cdb.u32(6);
        byte[] d = switch (options) {
            case 0b000 -> all(rctd);
            case 0b001 -> {
                if (CommandSet.opcodeHasServiceActions(opcode)) {
                    throw Cdb.invalidField(3, 7);
                }
                yield one(CommandSet.find(opcode, CommandDescriptor.NO_SERVICE_ACTION), rctd);
            }
            case 0b010 -> {
                if (!CommandSet.opcodeHasServiceActions(opcode)) {
                    throw Cdb.invalidField(3, 7);
                }
                yield one(serviceAction > 0x1f ? null : CommandSet.find(opcode, serviceAction), rctd);
            }
            default -> throw Cdb.invalidField(2, 2);
        };
        return CommandSupport.dataIn(d, allocationLength, request);
    }

    private static byte[] all(boolean rctd) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (CommandDescriptor c : CommandSet.ALL) {
            byte[] e = new byte[8];
            e[0] = (byte) c.opcode();
            if (c.hasServiceAction()) {
                Bytes.putShort(e, 2, c.serviceAction());
            }
            e[5] = (byte) ((rctd ? 0x02 : 0) | (c.hasServiceAction() ? 0x01 : 0)); // CTDP, SERVACTV
            Bytes.putShort(e, 6, c.cdbLength());
            out.writeBytes(e);
            if (rctd) {
                out.writeBytes(timeoutsDescriptor());
            }
        }
        byte[] list = out.toByteArray();
        byte[] d = new byte[4 + list.length];
        Bytes.putInt(d, 0, list.length);
        System.arraycopy(list, 0, d, 4, list.length);
        return d;
    }

    private static byte[] one(CommandDescriptor c, boolean rctd) {
        if (c == null) {
            byte[] d = new byte[4];
            d[1] = 0x01; // SUPPORT 001b: not supported
            return d;
        }
        byte[] usage = c.usage();
        byte[] timeouts = rctd ? timeoutsDescriptor() : new byte[0];
        byte[] d = new byte[4 + usage.length + timeouts.length];
        d[1] = (byte) ((rctd ? 0x80 : 0) | 0x03); // CTDP, SUPPORT 011b: supported as in the standard
        Bytes.putShort(d, 2, usage.length);
        System.arraycopy(usage, 0, d, 4, usage.length);
        System.arraycopy(timeouts, 0, d, 4 + usage.length, timeouts.length);
        return d;
    }

    /** Command timeouts descriptor: length 0Ah, nominal and recommended timeouts 0 = not specified. */
    private static byte[] timeoutsDescriptor() {
        byte[] t = new byte[12];
        Bytes.putShort(t, 0, 0x0A);
        return t;
    }
}
