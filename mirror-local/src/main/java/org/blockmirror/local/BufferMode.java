package org.blockmirror.local;

/**
 * How the journal stage is recording host writes right now (SPEC F8). Shown in status as
 * {@code journal.mode}. Further modes (a dirty-block map when the journal is full, remirror)
 * extend this enum.
 */
public enum BufferMode {
    /** Every write is journalled with its data. */
    NORMAL,
    /**
     * The journal is above its high-water mark: writes are journalled as block numbers only
     * (COMPACT records); their data is read from the local volume when sent, and copied aside
     * (PRESERVED records) before a newer write overwrites it.
     */
    COMPACT
}
