package org.blockmirror.scsi;

import java.nio.ByteBuffer;

/**
 * One SCSI command as a transport (the TCMU ring, or a test) hands it to the emulation.
 *
 * @param cdb       the command descriptor block, exactly as received
 * @param dataOut   data sent by the initiator (WRITE, MODE SELECT, UNMAP parameter list …),
 *                  positioned at 0; an empty buffer when the command carries none. Owned by the
 *                  transport and valid until the response future completes.
 * @param dataInCapacity how many bytes the transport can return to the initiator (the size of
 *                  its data-in buffers); the emulation never returns more
 */
public record ScsiRequest(byte[] cdb, ByteBuffer dataOut, int dataInCapacity) {

    public static final ByteBuffer NO_DATA = ByteBuffer.allocate(0).asReadOnlyBuffer();

    public int opcode() {
        return cdb.length == 0 ? -1 : cdb[0] & 0xff;
    }
}
