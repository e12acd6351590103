package org.blockmirror.local;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.OptionalLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.blockmirror.dirtymap.DirtyMap;
import org.blockmirror.volume.Volume;

/**
 * {@link DirtyTracking} for a volume that is not behind a {@link WritePipeline}: the remirror
 * benchmark and the engine tests, where the only "host" is whoever calls {@link #write}. It keeps
 * the contract exactly — a write marks its chunks durably before it writes the volume, and
 * {@link #awaitVolumeWrites()} waits for writes in progress — and journaling "resumes" at a
 * fixed sequence number.
 */
public final class OfflineDirtyTracking implements DirtyTracking {

    private final DirtyMap map;
    private final Volume volume;
    private final long resumeSeq;
    private final ReentrantReadWriteLock writes = new ReentrantReadWriteLock();
    private volatile boolean resumed;

    /**
     * @param resumeSeq what {@link #resumeJournaling()} returns once the map is empty
     */
    public OfflineDirtyTracking(DirtyMap map, Volume volume, long resumeSeq) {
        this.map = map;
        this.volume = volume;
        this.resumeSeq = resumeSeq;
    }

    /** A host write: marks, then writes the volume (not flushed). */
    public void write(long lba, ByteBuffer data) throws IOException {
        writes.readLock().lock();
        try {
            map.mark(lba, data.remaining() / volume.blockSize());
            volume.write(lba * volume.blockSize(), data);
        } finally {
            writes.readLock().unlock();
        }
    }

    @Override
    public DirtyMap dirtyMap() {
        return map;
    }

    @Override
    public void awaitVolumeWrites() {
        writes.writeLock().lock(); // every write that started before has finished
        writes.writeLock().unlock();
    }

    @Override
    public OptionalLong resumeJournaling() {
        writes.writeLock().lock();
        try {
            if (!map.isEmpty()) {
                return OptionalLong.empty();
            }
            resumed = true;
            return OptionalLong.of(resumeSeq);
        } finally {
            writes.writeLock().unlock();
        }
    }

    /** Whether {@link #resumeJournaling()} succeeded. */
    public boolean resumed() {
        return resumed;
    }

    @Override
    public void startFullSync() throws IOException {
        map.markAll();
    }
}
