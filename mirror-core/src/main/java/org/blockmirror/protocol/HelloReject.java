package org.blockmirror.protocol;

import java.util.Objects;

/** The remote refused a HELLO and will close the connection. {@code message} is for humans (≤ 1024 bytes UTF-8). */
public record HelloReject(RejectReason reason, String message) implements Message {

    public HelloReject {
        Objects.requireNonNull(reason, "reason");
        WireStrings.checkMessage(message);
    }

    @Override
    public FrameType frameType() {
        return FrameType.HELLO_REJECT;
    }
}
