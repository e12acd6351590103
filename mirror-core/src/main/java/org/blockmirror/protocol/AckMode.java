package org.blockmirror.protocol;

/**
 * Acknowledgement mode the local unit asks for in HELLO (u8). VERIFY and VERIFY_REPLY frames are
 * legal only on connections whose HELLO asked for VERIFIED ({@link FrameDecoder#expectAckMode}).
 */
public enum AckMode {
    /** The host is answered after the local journal and local mirror; the remote acks in the background. */
    ASYNC(1),
    /** The host is answered only after the remote has durably applied the write. */
    SYNC(2),
    /**
     * As SYNC, and the remote commits a write only after the local unit has confirmed the CRC32C
     * the remote computed over the data it holds (VERIFY → VERIFY_REPLY ACK_ACK); a NAK verdict
     * makes the remote drop its copy and the local unit resend it.
     */
    VERIFIED(3);

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
