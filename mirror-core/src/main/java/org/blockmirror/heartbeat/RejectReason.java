package org.blockmirror.heartbeat;

/** Why a received heartbeat datagram was not counted as a heartbeat. */
public enum RejectReason {
    /** Too short, wrong magic, unknown version, type or flags, inconsistent length, bad field. */
    MALFORMED,
    /** Well-formed header but the CRC32C does not match: corrupted in transit. */
    BAD_CRC,
    /** A valid heartbeat for another volume: a misconfigured peer address. */
    WRONG_VOLUME,
    /** Our own unit id: a loop (the peer address points back at us). */
    OWN_UNIT
}
