package org.blockmirror.journal;

import java.io.IOException;

/**
 * Reads durable records in seq order from a starting seq. One reader per consumer (the sender,
 * the local redo at startup, ...); a reader itself is not thread-safe, but any number of
 * readers may run concurrently with the committer and with each other.
 */
public final class JournalReader {
    private final Journal journal;
    private long nextSeq;

    JournalReader(Journal journal, long fromSeq) {
        this.journal = journal;
        this.nextSeq = fromSeq;
    }

    /**
     * The next durable record, or null if every durable record was returned (see
     * {@link Journal#awaitDurable}).
     *
     * @throws JournalCorruptionException if the record on disk fails its checksums
     * @throws JournalException if the record was released (the reader fell behind the tail)
     *                          or the journal is closed
     */
    public JournalRecord next() throws IOException {
        JournalRecord r = journal.readRecord(nextSeq);
        if (r != null) {
            nextSeq++;
        }
        return r;
    }

    /** The seq {@link #next()} will return. */
    public long nextSeq() {
        return nextSeq;
    }
}
