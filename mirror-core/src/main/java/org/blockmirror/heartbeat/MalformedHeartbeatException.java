package org.blockmirror.heartbeat;

/** A datagram that {@link HeartbeatCodec} cannot accept; the message says exactly why. */
public final class MalformedHeartbeatException extends Exception {

    private final RejectReason reason;

    public MalformedHeartbeatException(RejectReason reason, String message) {
        super(message);
        this.reason = reason;
    }

    /** {@link RejectReason#MALFORMED} or {@link RejectReason#BAD_CRC}. */
    public RejectReason reason() {
        return reason;
    }
}
