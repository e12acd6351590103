package org.blockmirror.scsi;

import java.nio.ByteBuffer;

/**
 * A command ends with a status other than GOOD. Thrown by CDB parsing and command code (and
 * carried by failed futures inside the emulation); {@link ScsiDisk} turns it into the
 * {@link ScsiResponse}. An expected outcome, not a bug, so it carries no stack trace.
 */
final class ScsiFailure extends RuntimeException {

    private final int status;
    private final Sense sense;

    private ScsiFailure(int status, Sense sense) {
        super(sense == null ? "status " + status : sense.toString(), null, false, false);
        this.status = status;
        this.sense = sense;
    }

    static ScsiFailure check(Sense sense) {
        return new ScsiFailure(ScsiResponse.CHECK_CONDITION, sense);
    }

    static ScsiFailure busy() {
        return new ScsiFailure(ScsiResponse.BUSY, null);
    }

    Sense sense() {
        return sense;
    }

    ScsiResponse toResponse() {
        if (sense == null) {
            return new ScsiResponse(status, new byte[0], ByteBuffer.allocate(0));
        }
        return ScsiResponse.checkCondition(sense.toFixedFormat());
    }
}
