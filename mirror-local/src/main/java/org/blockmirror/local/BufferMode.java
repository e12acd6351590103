package org.blockmirror.local;

/**
 * What the local unit does with a host write (SPEC F8), as {@code status} shows it.
 */
public enum BufferMode {
    /** Every write is journalled with its data and streamed in order. */
    NORMAL,
    /**
     * The journal is above its high-water mark: writes are journalled as block numbers only
     * (COMPACT records); their data is read from the local volume when sent, and copied aside
     * (PRESERVED records) before a newer write overwrites it.
     */
    COMPACT,
    /**
     * The journal is not the queue: the write marks its chunks in the dirty map and goes to the
     * local volume only (journal full, or enqueueing stopped by the operator).
     */
    BITMAP,
    /** Bitmap mode while the dirty chunks are being sent to the remote. */
    REMIRROR;

    /** As {@code status} prints it. */
    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
