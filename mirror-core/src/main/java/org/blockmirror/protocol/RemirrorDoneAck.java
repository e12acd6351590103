package org.blockmirror.protocol;

import java.util.Objects;

/**
 * Remote → local: the answer to REMIRROR_DONE (type 19).
 *
 * @param status     OK when the new applied seq (and state) are durable
 * @param syncState  the remote copy's state now
 * @param appliedSeq its applied seq now
 * @param message    why not, for humans
 */
public record RemirrorDoneAck(RemirrorStatus status, RemoteSyncState syncState, long appliedSeq, String message)
        implements Message {

    public RemirrorDoneAck {
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(syncState, "syncState");
        if (appliedSeq < 0) {
            throw new IllegalArgumentException("applied seq " + Long.toUnsignedString(appliedSeq) + " is above 2^63-1");
        }
        message = WireStrings.checkMessage(message);
    }

    @Override
    public FrameType frameType() {
        return FrameType.REMIRROR_DONE_ACK;
    }
}
