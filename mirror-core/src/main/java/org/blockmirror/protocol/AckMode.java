package org.blockmirror.protocol;

/** Acknowledgement mode the local unit asks for in HELLO (u8). VERIFIED (F5) is not part of protocol version 1. */
public enum AckMode {
    /** The host is answered after the local journal and local mirror; the remote acks in the background. */
    ASYNC(1),
    /** The host is answered only after the remote has durably applied the write. */
    SYNC(2);

    private final int code;

    AckMode(int code) {
        this.code = code;
    }

    /** The value on the wire. */
    public int code() {
        return code;
    }

    /** The constant with this wire code, or {@code null} if the code is not defined in this protocol version. */
    public static AckMode fromCode(int code) {
        for (AckMode value : values()) {
            if (value.code == code) {
                return value;
            }
        }
        return null;
    }
}
