package org.blockmirror.journal;

/**
 * An append found no free space before its deadline: the remote has not acknowledged enough
 * records. Nothing was written; the caller decides what to do with the host write.
 */
public final class JournalFullException extends JournalException {
    public JournalFullException(String message) {
        super(message);
    }
}
