package org.blockmirror.local;

import java.io.IOException;

/** How far the volume stage has got: what copy-on-overwrite and the compact sender wait for. */
interface VolumeProgress {

    /**
     * Waits until every host write up to {@code seq} is on the local volume (and flushed).
     *
     * @throws IOException if that can no longer happen (the volume failed, the pipeline stopped)
     */
    void awaitVolumeThrough(long seq) throws IOException;
}
