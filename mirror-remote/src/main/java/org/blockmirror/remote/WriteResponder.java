package org.blockmirror.remote;

/** Where the answer to one write goes: the connection it came on. */
interface WriteResponder {

    /** Why a write could not be applied. */
    enum Failure { IO_ERROR, CRC_MISMATCH, OUT_OF_RANGE }

    /** The write and every write before it are durably applied. */
    void ack(long seq);

    void nak(long seq, Failure failure, String message);

    /** Sends whatever answers are buffered (the applier calls it once per batch). */
    default void flush() {
    }
}
