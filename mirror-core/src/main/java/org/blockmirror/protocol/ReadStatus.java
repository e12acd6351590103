package org.blockmirror.protocol;

/** The outcome of a {@link Read} (u8 in READ_DATA). */
public enum ReadStatus {
    /** The data follows. */
    OK(1),
    /** Reading the remote volume failed. */
    IO_ERROR(2),
    /** LBA + block count lies outside the remote volume. */
    OUT_OF_RANGE(3),
    /** The remote's applied seq did not reach the READ's seq to see within its wait: not in sync. */
    NOT_IN_SYNC(4),
    /** The remote does not serve reads now (session not admitted, shutting down). */
    NOT_READY(5),
    /** The answer would not fit in one frame of the remote's maximum payload: read fewer blocks. */
    TOO_LARGE(6);

    private final int code;

    ReadStatus(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    /** The constant with this wire code, or {@code null} if the code is not defined in this protocol version. */
    public static ReadStatus fromCode(int code) {
        for (ReadStatus value : values()) {
            if (value.code == code) {
                return value;
            }
        }
        return null;
    }
}
