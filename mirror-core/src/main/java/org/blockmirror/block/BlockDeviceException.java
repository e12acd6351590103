package org.blockmirror.block;

/** Why a {@link BlockDevice} command failed; front ends map the reason to their error model. */
public class BlockDeviceException extends RuntimeException {

    /** Failure classes a front end must tell apart. */
    public enum Reason {
        /** The unit is not the active primary (standby): SCSI NOT READY. */
        NOT_READY,
        /** The journal stayed full for longer than the configured wait: the write was not done. */
        JOURNAL_FULL,
        /** The backing volume reported an I/O error. */
        IO_ERROR,
        /** The request addresses blocks beyond the end of the device. */
        OUT_OF_RANGE,
        /** The device is shutting down. */
        SHUTTING_DOWN
    }

    private final Reason reason;

    public BlockDeviceException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public BlockDeviceException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
