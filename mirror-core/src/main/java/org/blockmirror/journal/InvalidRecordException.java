package org.blockmirror.journal;

/** Bytes at a record position are not a valid record; the message says why (used by recovery to report where the head is). */
final class InvalidRecordException extends Exception {
    InvalidRecordException(String reason) {
        super(reason, null, false, false);
    }
}
