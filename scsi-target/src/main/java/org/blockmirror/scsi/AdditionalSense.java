package org.blockmirror.scsi;

/** The ASC/ASCQ pairs this emulation reports (SPC-4 annex, "ASC and ASCQ assignments"). */
public enum AdditionalSense {
    NO_ADDITIONAL_SENSE(0x00, 0x00),
    /**
     * LOGICAL UNIT NOT READY, MANUAL INTERVENTION REQUIRED: the standby unit. Linux fails such
     * commands at once (scsi_io_completion_action) and sd_spinup_disk does not poll for 100 s.
     */
    LUN_NOT_READY_MANUAL_INTERVENTION(0x04, 0x03),
    WRITE_ERROR(0x0C, 0x00),
    INVALID_FIELD_IN_COMMAND_IU(0x0E, 0x03),
    UNRECOVERED_READ_ERROR(0x11, 0x00),
    PARAMETER_LIST_LENGTH_ERROR(0x1A, 0x00),
    MISCOMPARE_DURING_VERIFY(0x1D, 0x00),
    INVALID_COMMAND_OPERATION_CODE(0x20, 0x00),
    LBA_OUT_OF_RANGE(0x21, 0x00),
    INVALID_FIELD_IN_CDB(0x24, 0x00),
    INVALID_FIELD_IN_PARAMETER_LIST(0x26, 0x00),
    /** Linux maps this one to -ENOSPC without retrying (scsi_check_sense, DATA PROTECT). */
    SPACE_ALLOCATION_FAILED_WRITE_PROTECT(0x27, 0x07),
    SAVING_PARAMETERS_NOT_SUPPORTED(0x39, 0x00),
    INTERNAL_TARGET_FAILURE(0x44, 0x00);

    private final int asc;
    private final int ascq;

    AdditionalSense(int asc, int ascq) {
        this.asc = asc;
        this.ascq = ascq;
    }

    public int asc() {
        return asc;
    }

    public int ascq() {
        return ascq;
    }
}
