package org.blockmirror.journal;

/** What a journal record carries. The code is the byte stored in the record header. */
public enum RecordType {
    /** A host write: LBA, block count and the data. */
    WRITE(1),
    /** A host trim/unmap: LBA and block count, no data. */
    TRIM(2),
    /** Wrap-around filler: the rest of the region is unused, the next record is at the region start. */
    PAD(3),
    /**
     * A host write in compact mode (format version 2): LBA and block count only; the data lives
     * on the local volume and is read from there when the record is sent.
     */
    COMPACT(4),
    /**
     * Copy-on-overwrite (format version 2): the content of some blocks of an earlier COMPACT
     * record, saved before a newer write overwrote them on the volume. Carries the COMPACT
     * record's seq ({@link JournalRecord#preservedSeq()}), LBA, block count and the data.
     */
    PRESERVED(5);

    private final int code;

    RecordType(int code) {
        this.code = code;
    }

    int code() {
        return code;
    }

    /** Whether the record carries data after its header (blockCount * blockSize bytes). */
    public boolean hasData() {
        return this == WRITE || this == PRESERVED;
    }

    /** The oldest record format version that may contain this type. */
    int sinceVersion() {
        return code <= 3 ? 1 : 2;
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
