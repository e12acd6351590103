package org.blockmirror.journal;

import java.io.IOException;

/** The journal cannot do what was asked; the message names the journal and says why. */
public class JournalException extends IOException {
    public JournalException(String message) {
        super(message);
    }

    public JournalException(String message, Throwable cause) {
        super(message, cause);
    }
}
