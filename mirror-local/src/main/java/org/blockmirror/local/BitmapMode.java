package org.blockmirror.local;

import java.io.IOException;
import org.blockmirror.dirtymap.DirtyMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether host writes go to the journal or to the dirty map, and the durable facts that make
 * the switch safe across a crash. State changes come from the journal stage only (see
 * {@link WritePipeline}), so a switch falls between two host writes; readers may be anywhere.
 *
 * <p>Entering bitmap mode: the caller has made the local volume durable through the last
 * journaled record; {@link #enter} first persists that seq ({@link QueueControlState}), so the
 * start-up redo never replays those records over the bitmap-mode writes that follow.
 */
final class BitmapMode {

    private static final Logger log = LoggerFactory.getLogger(BitmapMode.class);

    private final DirtyMap map;
    private final QueueControlState state;
    private volatile boolean active;
    /** The first seq NOT older than the map's bitmap-mode marks (journal.nextSeq() at entry); 0 if not active. */
    private volatile long sinceSeq;
    private volatile boolean enqueueStopped;
    private volatile boolean remirrorRunning;
    private volatile String reason = "";

    BitmapMode(DirtyMap map, QueueControlState state) {
        this.map = map;
        this.state = state;
        this.enqueueStopped = state.enqueueStopped();
    }

    DirtyMap map() {
        return map;
    }

    QueueControlState state() {
        return state;
    }

    boolean active() {
        return active;
    }

    long sinceSeq() {
        return sinceSeq;
    }

    boolean enqueueStopped() {
        return enqueueStopped;
    }

    String reason() {
        return active ? reason : "";
    }

    void remirrorRunning(boolean running) {
        remirrorRunning = running;
    }

    BufferMode mode() {
        if (!active) {
            return BufferMode.NORMAL;
        }
        return remirrorRunning ? BufferMode.REMIRROR : BufferMode.BITMAP;
    }

    /**
     * Host writes go to the map from now on. Journal stage only; the local volume must hold
     * every record through {@code lastJournaledSeq} durably.
     */
    void enter(long lastJournaledSeq, String why) throws IOException {
        if (active) {
            return;
        }
        state.setVolumeHoldsThroughSeq(Math.max(state.volumeHoldsThroughSeq(), lastJournaledSeq));
        sinceSeq = lastJournaledSeq + 1;
        reason = why;
        active = true;
        log.warn("bitmap mode: {}; host writes mark the dirty map ({} chunks dirty) and go to the local volume only"
                + " (the journal ends at seq {})", why, map.dirtyChunks(), lastJournaledSeq);
    }

    /** Host writes go to the journal again. Journal stage only. */
    void leave(long nextSeq) {
        active = false;
        sinceSeq = 0;
        remirrorRunning = false;
        log.info("bitmap mode over: host writes are journaled again from seq {}", nextSeq);
    }

    void setEnqueueStopped(boolean stopped) throws IOException {
        state.setEnqueueStopped(stopped);
        enqueueStopped = stopped;
    }
}
