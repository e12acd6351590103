package org.blockmirror.protocol;

/** The frame type byte of the header (offset 5). Codes are part of the wire format: never reuse one. */
public enum FrameType {
    HELLO(1),
    HELLO_OK(2),
    HELLO_REJECT(3),
    WRITE(4),
    ACK(5),
    NAK(6),
    GOODBYE(7),
    /** Verified ack mode only: the CRC32C the remote computed over a WRITE's data. */
    VERIFY(8),
    /** Verified ack mode only: the local unit's verdict on a VERIFY, ACK_ACK or NAK. */
    VERIFY_REPLY(9),
    // The remirror exchange (protocol version 2; docs/wire-protocol.md §4.8).
    REMIRROR_BEGIN(10),
    REMIRROR_READY(11),
    RANGE_SUMS(12),
    RANGE_DIFF(13),
    BLOCK_SUMS(14),
    BLOCK_DIFF(15),
    REMIRROR_DATA(16),
    REMIRROR_ACK(17),
    REMIRROR_DONE(18),
    REMIRROR_DONE_ACK(19),
    /** Roles (docs/roles.md): a unit's GenerationState, exchanged on connection 0 before any WRITE. */
    GENERATIONS(20),
    /** Roles: the secondary refuses to mirror (split brain, …) or to reverse roles, with its state. */
    ROLE_REJECT(21),
    /** Roles: the (just demoted) primary asks the secondary to take over as primary. */
    ROLE_REVERSE(22),
    /** Roles: the peer persisted its promotion and becomes primary. */
    ROLE_REVERSE_OK(23),
    /** Fail-over (F12): the local unit reads blocks from the remote copy, once it applied a given seq. */
    READ(30),
    /** Fail-over: the remote's answer to a READ, with the blocks and their CRC32C. */
    READ_DATA(31);

    private static final FrameType[] BY_CODE =
            new FrameType[java.util.Arrays.stream(values()).mapToInt(FrameType::code).max().orElse(0) + 1];

    static {
        for (FrameType type : values()) {
            BY_CODE[type.code] = type;
        }
    }

    private final int code;

    FrameType(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    /** The type with this code, or {@code null} if the code is not defined in this protocol version. */
    public static FrameType fromCode(int code) {
        return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
    }
}
