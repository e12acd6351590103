package org.blockmirror.protocol;

import java.util.Objects;

/**
 * Remote → local: the answer to a REMIRROR_DATA with the same tag (type 17). {@code OK} means the
 * data is written and fdatasynced.
 */
public record RemirrorAck(long tag, RemirrorStatus status, String message) implements Message {

    public RemirrorAck {
        Objects.requireNonNull(status, "status");
        message = WireStrings.checkMessage(message);
    }

    public static RemirrorAck ok(long tag) {
        return new RemirrorAck(tag, RemirrorStatus.OK, "");
    }

    @Override
    public FrameType frameType() {
        return FrameType.REMIRROR_ACK;
    }
}
