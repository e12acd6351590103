package org.blockmirror.heartbeat;

import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.UUID;

/**
 * One heartbeat datagram's content (see {@link HeartbeatCodec} for the layout).
 *
 * @param senderUnitId     the sending unit's identity
 * @param volumeId         the mirrored volume both units agree on; 1..255 UTF-8 bytes
 * @param counter          per-sender sequence number, +1 per datagram (unsigned 64-bit)
 * @param senderWallMillis the sender's wall clock when sending, for display only
 * @param senderLinkState  the sender's own view of the link, so our status can show it
 */
public record Heartbeat(UUID senderUnitId, String volumeId, long counter, long senderWallMillis,
                        LinkState senderLinkState) {

    public Heartbeat {
        Objects.requireNonNull(senderUnitId, "senderUnitId");
        Objects.requireNonNull(volumeId, "volumeId");
        Objects.requireNonNull(senderLinkState, "senderLinkState");
        checkVolumeId(volumeId);
    }

    /** Validates a volume id for use in heartbeats; the message names the problem. */
    public static void checkVolumeId(String volumeId) {
        int bytes = volumeId.getBytes(StandardCharsets.UTF_8).length;
        if (bytes == 0) {
            throw new IllegalArgumentException("volume id must not be empty");
        }
        if (bytes > HeartbeatCodec.MAX_VOLUME_ID_BYTES) {
            throw new IllegalArgumentException("volume id is " + bytes + " UTF-8 bytes; at most "
                    + HeartbeatCodec.MAX_VOLUME_ID_BYTES + " fit in a heartbeat");
        }
    }
}
