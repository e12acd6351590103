package org.blockmirror.protocol;

/** Kind of journal record a WRITE frame carries (u8). */
public enum RecordType {
    /** Data for {@code blockCount} blocks follows. */
    WRITE(1),
    /** The blocks are discarded (UNMAP); no data follows. */
    TRIM(2);

    private final int code;

    RecordType(int code) {
        this.code = code;
    }

    /** The value on the wire. */
    public int code() {
        return code;
    }

    /** The constant with this wire code, or {@code null} if the code is not defined in this protocol version. */
    public static RecordType fromCode(int code) {
        for (RecordType value : values()) {
            if (value.code == code) {
                return value;
            }
        }
        return null;
    }
}
