package org.blockmirror.local;

import java.io.IOException;
import java.nio.ByteBuffer;
import org.blockmirror.volume.Volume;
import org.blockmirror.volume.VolumeException;

/**
 * Stands in for a local volume that failed and cannot even be opened (the disk is gone) while the
 * unit restarts in degraded mode: every I/O fails with the reason. Host I/O goes through the peer
 * until the volume is replaced ({@link VolumeFailover}).
 */
final class UnavailableVolume implements Volume {

    private final String name;
    private final int blockSize;
    private final long sizeBytes;
    private final String why;

    UnavailableVolume(String name, int blockSize, long sizeBytes, String why) {
        this.name = name;
        this.blockSize = blockSize;
        this.sizeBytes = sizeBytes;
        this.why = why;
    }

    @Override
    public int blockSize() {
        return blockSize;
    }

    @Override
    public long sizeBytes() {
        return sizeBytes;
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        throw new VolumeException("volume " + name + " is unavailable: " + why);
    }

    @Override
    public void write(long offset, ByteBuffer src) throws IOException {
        throw new VolumeException("volume " + name + " is unavailable: " + why);
    }

    @Override
    public void flush() throws IOException {
        throw new VolumeException("volume " + name + " is unavailable: " + why);
    }

    @Override
    public String describe() {
        return name + " (unavailable)";
    }

    @Override
    public void close() {
    }
}
