package org.blockmirror.protocol;

import java.util.Objects;

/** The remote could not apply {@code seq}. {@code message} is for humans (≤ 1024 bytes UTF-8). */
public record Nak(long seq, NakStatus status, String message) implements Message {

    public Nak {
        Write.checkSeq(seq);
        Objects.requireNonNull(status, "status");
        WireStrings.checkMessage(message);
    }

    @Override
    public FrameType frameType() {
        return FrameType.NAK;
    }
}
