package org.blockmirror.protocol;

/** Why a peer closes a connection on purpose (u16 in GOODBYE). */
public enum GoodbyeReason {
    /** The daemon is shutting down or the administrator detached the volume. */
    SHUTDOWN(1),
    /** The peer sent something this side could not decode; the message says what. */
    PROTOCOL_ERROR(2),
    /** The link is being torn down (heartbeats lost); the session will be re-established after probation. */
    LINK_RESET(3);

    private final int code;

    GoodbyeReason(int code) {
        this.code = code;
    }

    /** The value on the wire. */
    public int code() {
        return code;
    }

    /** The constant with this wire code, or {@code null} if the code is not defined in this protocol version. */
    public static GoodbyeReason fromCode(int code) {
        for (GoodbyeReason value : values()) {
            if (value.code == code) {
                return value;
            }
        }
        return null;
    }
}
