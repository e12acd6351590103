package org.blockmirror.protocol;

/** The outcome of a REMIRROR_DATA or REMIRROR_DONE (u16 in REMIRROR_ACK and REMIRROR_DONE_ACK). */
public enum RemirrorStatus {
    /** Done and durable. */
    OK(1),
    /** The data does not match the frame's data CRC32C: nothing written. */
    CRC_MISMATCH(2),
    /** Reading, writing or flushing the remote volume, or persisting its state, failed. */
    IO_ERROR(3),
    /** LBA + block count lies outside the remote volume: nothing written. */
    OUT_OF_RANGE(4),
    /** The remote's remirror.pre-hook failed, so it refuses to become inconsistent: nothing written. */
    HOOK_FAILED(5),
    /** No REMIRROR_BEGIN was received on this session. */
    NOT_REMIRRORING(6);

    private final int code;

    RemirrorStatus(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    /** The status with this wire code, or {@code null} if the code is not defined. */
    public static RemirrorStatus fromCode(int code) {
        for (RemirrorStatus s : values()) {
            if (s.code == code) {
                return s;
            }
        }
        return null;
    }
}
