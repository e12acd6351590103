package org.blockmirror.protocol;

/** Why the remote could not apply a WRITE (u16 in NAK). */
public enum NakStatus {
    /** Writing to or flushing the remote volume failed. */
    IO_ERROR(1),
    /** The data does not match the record's data CRC32C. */
    CRC_MISMATCH(2),
    /** LBA + block count lies outside the remote volume. */
    OUT_OF_RANGE(3),
    /** The seq cannot be placed: it is outside the reorder window or conflicts with one already received. */
    OUT_OF_ORDER(4),
    /** The remote is not accepting writes now (e.g. it is being promoted or shut down). */
    NOT_READY(5);

    private final int code;

    NakStatus(int code) {
        this.code = code;
    }

    /** The value on the wire. */
    public int code() {
        return code;
    }

    /** The constant with this wire code, or {@code null} if the code is not defined in this protocol version. */
    public static NakStatus fromCode(int code) {
        for (NakStatus value : values()) {
            if (value.code == code) {
                return value;
            }
        }
        return null;
    }
}
