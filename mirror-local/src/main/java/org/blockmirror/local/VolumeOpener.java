package org.blockmirror.local;

import java.io.IOException;
import org.blockmirror.config.CommonConfig;
import org.blockmirror.volume.FileVolume;
import org.blockmirror.volume.Volume;

/**
 * How the local unit opens its volume: at start-up and again when a failed disk was replaced
 * (fail-over). Production opens {@code volume.path}; tests may wrap it (fault injection).
 */
@FunctionalInterface
public interface VolumeOpener {

    /** {@code volume.path} as a {@link FileVolume} of the configured size. */
    VolumeOpener FILES = c -> FileVolume.open(c.volumePath(), c.blockSize(), c.volumeSize(), c.volumeSize());

    Volume open(CommonConfig config) throws IOException;
}
