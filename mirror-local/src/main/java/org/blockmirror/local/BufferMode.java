package org.blockmirror.local;

/**
 * What the local unit does with a host write (SPEC F8), as {@code status} shows it.
 *
 * <ul>
 *   <li>{@link #NORMAL}: the write goes into the journal with its data and is streamed in order.</li>
 *   <li>{@link #COMPACT}: above the high-water mark, records carry block numbers only.</li>
 *   <li>{@link #BITMAP}: the journal is not the queue: the write marks its chunks in the dirty map
 *       and goes to the local volume only (journal full, or enqueueing stopped by the operator).</li>
 *   <li>{@link #REMIRROR}: bitmap mode while the dirty chunks are being sent to the remote.</li>
 * </ul>
 */
public enum BufferMode {
    NORMAL, COMPACT, BITMAP, REMIRROR;

    /** As {@code status} prints it. */
    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
