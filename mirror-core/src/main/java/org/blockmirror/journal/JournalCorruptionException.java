package org.blockmirror.journal;

/**
 * A durable record read back from the journal does not match its checksums: the disk returned
 * different bytes than were written. The record must not be sent; the message names its seq.
 */
public final class JournalCorruptionException extends JournalException {
    private final long seq;

    public JournalCorruptionException(long seq, String message) {
        super(message);
        this.seq = seq;
    }

    /** The sequence number of the record that failed verification. */
    public long seq() {
        return seq;
    }
}
