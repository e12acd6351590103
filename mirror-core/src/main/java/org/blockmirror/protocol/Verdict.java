package org.blockmirror.protocol;

/** The local unit's answer to a VERIFY (u8 in VERIFY_REPLY). */
public enum Verdict {
    /** The remote's CRC32C equals the journal's: the remote may commit (write) the record. */
    ACK_ACK(1),
    /** The CRC32Cs differ: the remote drops its copy and waits for the local unit's resend. */
    NAK(2);

    private final int code;

    Verdict(int code) {
        this.code = code;
    }

    /** The value on the wire. */
    public int code() {
        return code;
    }

    /** The constant with this wire code, or {@code null} if the code is not defined. */
    public static Verdict fromCode(int code) {
        for (Verdict value : values()) {
            if (value.code == code) {
                return value;
            }
        }
        return null;
    }
}
