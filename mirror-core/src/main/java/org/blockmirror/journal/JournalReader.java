package org.blockmirror.journal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.function.IntFunction;

/**
 * Reads durable records in seq order from a starting seq. One reader per consumer (the sender,
 * the local redo at startup, ...); a reader itself is not thread-safe, but any number of
 * readers may run concurrently with the committer and with each other.
 */
public final class JournalReader {
    private final Journal journal;
    private long nextSeq;
    /** Direct and reused: record headers are read here first, one per record. */
    private final ByteBuffer headerBuffer = ByteBuffer.allocateDirect(RecordHeader.SIZE);
    private boolean trustOwnAppends;

    JournalReader(Journal journal, long fromSeq) {
        this.journal = journal;
        this.nextSeq = fromSeq;
    }

    /**
     * The next durable record, its data in a fresh heap buffer; or null if every durable record
     * was returned (see {@link Journal#awaitDurable}).
     *
     * @throws JournalCorruptionException if the record on disk fails its checksums
     * @throws JournalException if the record was released (the reader fell behind the tail)
     *                          or the journal is closed
     */
    public JournalRecord next() throws IOException {
        return next(ByteBuffer::allocate);
    }

    /**
     * The next durable record, its data read into a buffer from {@code dataBuffers}; or null if
     * every durable record was returned. {@code dataBuffers} is called at most once, with the
     * data length, only for a record with data (WRITE, PRESERVED), and must return a buffer with exactly that many bytes
     * remaining (a direct one spares the file read a copy). The caller owns what it returned,
     * also when this throws (e.g. the data failed its CRC32C: the buffer's content is then
     * undefined).
     *
     * @throws JournalCorruptionException if the record on disk fails its checksums
     * @throws JournalException if the record was released (the reader fell behind the tail)
     *                          or the journal is closed
     */
    public JournalRecord next(IntFunction<ByteBuffer> dataBuffers) throws IOException {
        JournalRecord r = journal.readRecord(nextSeq, headerBuffer, dataBuffers, trustOwnAppends);
        if (r != null) {
            nextSeq++;
        }
        return r;
    }

    /**
     * From now on, does not recompute the data CRC32C of records this journal instance appended
     * itself (in this process, since it was opened): their data is read back from the file we
     * just wrote, normally straight from the page cache, and returned with the CRC32C its header
     * holds. Headers are always checked, and so is the data of records recovered from an earlier
     * run. For a consumer whose data is checked against that CRC32C further on anyway (the
     * replicator: the remote verifies every WRITE's data before applying it), this saves one pass
     * over every byte; a mismatch then surfaces there.
     *
     * @return this reader
     */
    public JournalReader trustingOwnAppends() {
        this.trustOwnAppends = true;
        return this;
    }

    /** The seq {@link #next()} will return. */
    public long nextSeq() {
        return nextSeq;
    }
}
