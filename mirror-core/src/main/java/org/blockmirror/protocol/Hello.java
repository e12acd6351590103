package org.blockmirror.protocol;

import java.util.Objects;
import java.util.UUID;

/**
 * First frame on every connection, client (local unit) to server (remote unit).
 *
 * @param protocolVersion highest protocol version the client speaks (1..255)
 * @param localUnitId identity of the local unit
 * @param volumeId which volume this session mirrors; 1..255 bytes of UTF-8
 * @param volumeSizeBytes size of the local volume, a positive multiple of {@code blockSize}
 * @param blockSize block size in bytes, a power of two in [512, 1 MiB]
 * @param generation the local unit's generation number for this volume (split-brain detection)
 * @param sessionId shared by the n connections opened together
 * @param connectionIndex this connection's index in the session, below {@code connectionCount}
 * @param connectionCount n, the number of connections in the session (1..65535)
 * @param ackMode the acknowledgement mode the local unit runs the volume in
 */
public record Hello(
        int protocolVersion,
        UUID localUnitId,
        String volumeId,
        long volumeSizeBytes,
        int blockSize,
        long generation,
        long sessionId,
        int connectionIndex,
        int connectionCount,
        AckMode ackMode) implements Message {

    public static final int MIN_BLOCK_SIZE = 512;
    public static final int MAX_BLOCK_SIZE = 1 << 20;
    public static final int MAX_CONNECTIONS = 0xFFFF;

    public Hello {
        if (protocolVersion < 1 || protocolVersion > 0xFF) {
            throw new IllegalArgumentException("protocol version " + protocolVersion + " is not in 1..255");
        }
        Objects.requireNonNull(localUnitId, "localUnitId");
        Objects.requireNonNull(volumeId, "volumeId");
        Objects.requireNonNull(ackMode, "ackMode");
        int idBytes = WireStrings.utf8(volumeId).length;
        if (idBytes < 1 || idBytes > WireStrings.MAX_VOLUME_ID_BYTES) {
            throw new IllegalArgumentException("volume id is " + idBytes + " bytes of UTF-8, must be 1.."
                    + WireStrings.MAX_VOLUME_ID_BYTES);
        }
        if (Integer.bitCount(blockSize) != 1 || blockSize < MIN_BLOCK_SIZE || blockSize > MAX_BLOCK_SIZE) {
            throw new IllegalArgumentException("block size " + blockSize
                    + " is not a power of two in " + MIN_BLOCK_SIZE + ".." + MAX_BLOCK_SIZE);
        }
        if (volumeSizeBytes <= 0 || volumeSizeBytes % blockSize != 0) {
            throw new IllegalArgumentException("volume size " + volumeSizeBytes
                    + " is not a positive multiple of block size " + blockSize);
        }
        if (connectionCount < 1 || connectionCount > MAX_CONNECTIONS) {
            throw new IllegalArgumentException("connection count " + connectionCount + " is not in 1.." + MAX_CONNECTIONS);
        }
        if (connectionIndex < 0 || connectionIndex >= connectionCount) {
            throw new IllegalArgumentException("connection index " + connectionIndex
                    + " is not below connection count " + connectionCount);
        }
    }

    @Override
    public FrameType frameType() {
        return FrameType.HELLO;
    }
}
