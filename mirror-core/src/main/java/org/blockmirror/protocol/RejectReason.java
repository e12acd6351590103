package org.blockmirror.protocol;

/** Why the remote refused a HELLO (u16 in HELLO_REJECT). */
public enum RejectReason {
    /** The remote does not speak the frame's protocol version. */
    VERSION_MISMATCH(1),
    /** The remote does not host the named volume. */
    VOLUME_MISMATCH(2),
    /** The remote volume's size differs from the one announced. */
    SIZE_MISMATCH(3),
    /** The remote volume's block size differs from the one announced. */
    BLOCK_SIZE_MISMATCH(4),
    /** Another local unit (or another session) is attached to this volume. */
    BUSY(5),
    /** The remote cannot accept a session now (e.g. the link is on probation); retry later. */
    NOT_READY(6),
    /** The HELLO was malformed or inconsistent (e.g. connection index not below the count). */
    BAD_HELLO(7);

    private final int code;

    RejectReason(int code) {
        this.code = code;
    }

    /** The value on the wire. */
    public int code() {
        return code;
    }

    /** The constant with this wire code, or {@code null} if the code is not defined in this protocol version. */
    public static RejectReason fromCode(int code) {
        for (RejectReason value : values()) {
            if (value.code == code) {
                return value;
            }
        }
        return null;
    }
}
