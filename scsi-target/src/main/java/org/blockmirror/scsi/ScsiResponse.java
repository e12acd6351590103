package org.blockmirror.scsi;

import java.nio.ByteBuffer;

/**
 * What the emulation answers to one {@link ScsiRequest}.
 *
 * @param status  SAM status byte (0x00 GOOD, 0x02 CHECK CONDITION, …)
 * @param sense   fixed-format sense data for CHECK CONDITION (18 bytes), empty otherwise
 * @param dataIn  data for the initiator, positioned at 0, at most the request's dataInCapacity
 *                bytes; empty when the command returns none
 */
public record ScsiResponse(int status, byte[] sense, ByteBuffer dataIn) {

    public static final int GOOD = 0x00;
    public static final int CHECK_CONDITION = 0x02;
    public static final int BUSY = 0x08;
    public static final int RESERVATION_CONFLICT = 0x18;
    public static final int TASK_SET_FULL = 0x28;

    private static final byte[] NO_SENSE = new byte[0];
    private static final ByteBuffer NO_DATA = ByteBuffer.allocate(0).asReadOnlyBuffer();

    public static ScsiResponse good() {
        return new ScsiResponse(GOOD, NO_SENSE, NO_DATA);
    }

    public static ScsiResponse good(ByteBuffer dataIn) {
        return new ScsiResponse(GOOD, NO_SENSE, dataIn);
    }

    public static ScsiResponse checkCondition(byte[] sense) {
        return new ScsiResponse(CHECK_CONDITION, sense, NO_DATA);
    }
}
