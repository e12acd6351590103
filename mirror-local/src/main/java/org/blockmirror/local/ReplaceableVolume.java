package org.blockmirror.local;

import java.io.IOException;
import java.util.Objects;
import org.blockmirror.volume.ForwardingVolume;
import org.blockmirror.volume.Volume;
import org.blockmirror.volume.VolumeException;

/**
 * The local volume as the write pipeline sees it: a {@link Volume} whose backing store can be
 * swapped for a replacement once the replacement holds every block ({@link VolumeFailover}). The
 * pipeline keeps one reference for its whole life; only the fail-over swaps what is behind it.
 */
public final class ReplaceableVolume extends ForwardingVolume {

    private volatile Volume current;

    public ReplaceableVolume(Volume initial) {
        this.current = Objects.requireNonNull(initial, "initial");
    }

    /** Puts {@code replacement} in place (same block size and size) and closes the old one. */
    void replace(Volume replacement) throws IOException {
        if (replacement.blockSize() != blockSize() || replacement.sizeBytes() != sizeBytes()) {
            throw new VolumeException("replacement volume " + replacement.describe() + " has " + replacement.sizeBytes()
                    + " bytes in blocks of " + replacement.blockSize() + ", the volume has " + sizeBytes()
                    + " bytes in blocks of " + blockSize());
        }
        Volume old = current;
        current = replacement;
        if (old != replacement) {
            try {
                old.close();
            } catch (IOException e) {
                // it failed before; closing it is a courtesy
            }
        }
    }

    Volume current() {
        return current;
    }

    @Override
    protected Volume delegate() {
        return current;
    }
}
