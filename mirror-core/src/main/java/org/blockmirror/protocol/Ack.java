package org.blockmirror.protocol;

/**
 * The remote durably applied {@code seq} and, because it applies in seq order, everything before
 * it. Sent on the connection the WRITE came on.
 */
public record Ack(long seq) implements Message {

    public Ack {
        Write.checkSeq(seq);
    }

    @Override
    public FrameType frameType() {
        return FrameType.ACK;
    }
}
