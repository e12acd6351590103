package org.blockmirror.local;

import java.io.IOException;
import java.util.OptionalLong;
import org.blockmirror.dirtymap.DirtyMap;

/**
 * What remirror needs from the write path while the journal is not the queue (bitmap mode:
 * journal full, enqueueing stopped by the operator, a flushed portion, or the initial sync of a
 * new pair). Implemented by {@link WritePipeline}; used by the remirror driver.
 *
 * <p>The contract that keeps remirror correct while the host keeps writing: in bitmap mode a
 * host write marks its chunks in the {@link DirtyMap} (durably) <em>before</em> it writes the
 * volume. Remirror clears a chunk's mark, then calls {@link #awaitVolumeWrites()}, then reads
 * the chunk: either the read sees the host's data, or the host's write marks the chunk again and
 * the next pass sends it.
 */
public interface DirtyTracking {

    /** The map of chunks that may differ on the remote. */
    DirtyMap dirtyMap();

    /**
     * Returns once every host write accepted before the call is on the local volume (written,
     * not necessarily flushed), so a read of the volume sees it.
     */
    void awaitVolumeWrites() throws InterruptedException, IOException;

    /**
     * Remirror has sent every dirty chunk and the remote acknowledged it: if the map is still
     * empty and enqueueing is allowed, atomically switch host writes back to the journal and
     * return the sequence number of the first journal record that will follow (the remote
     * continues from there). Empty if a host write dirtied a chunk meanwhile or the operator
     * stopped enqueueing: remirror makes another pass (or waits).
     */
    OptionalLong resumeJournaling() throws IOException;

    /** Marks the whole volume dirty and enters bitmap mode: the initial sync of a new pair. */
    void startFullSync() throws IOException;
}
