package org.blockmirror.protocol;

import java.util.Objects;

/**
 * Remote → local: the answer to {@link RemirrorBegin} (type 11).
 *
 * @param syncState  the remote copy's state now
 * @param appliedSeq its applied seq now
 */
public record RemirrorReady(RemoteSyncState syncState, long appliedSeq) implements Message {

    public RemirrorReady {
        Objects.requireNonNull(syncState, "syncState");
        if (appliedSeq < 0) {
            throw new IllegalArgumentException("applied seq " + Long.toUnsignedString(appliedSeq) + " is above 2^63-1");
        }
    }

    @Override
    public FrameType frameType() {
        return FrameType.REMIRROR_READY;
    }
}
