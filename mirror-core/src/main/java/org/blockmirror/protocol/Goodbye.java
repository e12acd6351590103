package org.blockmirror.protocol;

import java.util.Objects;

/** The sender is about to close this connection on purpose. {@code message} is for humans (≤ 1024 bytes UTF-8). */
public record Goodbye(GoodbyeReason reason, String message) implements Message {

    public Goodbye {
        Objects.requireNonNull(reason, "reason");
        WireStrings.checkMessage(message);
    }

    @Override
    public FrameType frameType() {
        return FrameType.GOODBYE;
    }
}
