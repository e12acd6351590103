package org.blockmirror.protocol;

import java.util.Objects;
import java.util.UUID;

/**
 * The remote accepted a HELLO.
 *
 * @param remoteUnitId identity of the remote unit
 * @param appliedSeq highest seq the remote has durably applied, with every seq before it
 *     (0: nothing yet); the local unit resumes sending after it
 * @param reorderWindowBytes how many bytes of WRITE data the remote buffers ahead of the next seq
 *     it can apply, summed over all connections of the session
 * @param generation the remote's generation number for this volume
 * @param syncState whether the remote copy was never synced, is inconsistent (a remirror is
 *     unfinished) or consistent (protocol version 2)
 */
public record HelloOk(UUID remoteUnitId, long appliedSeq, long reorderWindowBytes, long generation,
                      RemoteSyncState syncState) implements Message {

    /** A remote whose copy is consistent. */
    public HelloOk(UUID remoteUnitId, long appliedSeq, long reorderWindowBytes, long generation) {
        this(remoteUnitId, appliedSeq, reorderWindowBytes, generation, RemoteSyncState.CONSISTENT);
    }

    public HelloOk {
        Objects.requireNonNull(remoteUnitId, "remoteUnitId");
        Objects.requireNonNull(syncState, "syncState");
        if (appliedSeq < 0) {
            throw new IllegalArgumentException("applied seq " + Long.toUnsignedString(appliedSeq) + " is above 2^63-1");
        }
        if (reorderWindowBytes < 0) {
            throw new IllegalArgumentException("reorder window " + Long.toUnsignedString(reorderWindowBytes)
                    + " is above 2^63-1");
        }
    }

    @Override
    public FrameType frameType() {
        return FrameType.HELLO_OK;
    }
}
