package org.blockmirror.journal;

/** What a journal record carries. The code is the byte stored in the record header. */
public enum RecordType {
    /** A host write: LBA, block count and the data. */
    WRITE(1),
    /** A host trim/unmap: LBA and block count, no data. */
    TRIM(2),
    /** Wrap-around filler: the rest of the region is unused, the next record is at the region start. */
    PAD(3);

    private final int code;

    RecordType(int code) {
        this.code = code;
    }

    int code() {
        return code;
    }

    /** The type for a stored code, or null if the code is unknown. */
    static RecordType fromCode(int code) {
        for (RecordType t : values()) {
            if (t.code == code) {
                return t;
            }
        }
        return null;
    }
}
