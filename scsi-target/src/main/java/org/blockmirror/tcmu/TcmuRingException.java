package org.blockmirror.tcmu;

/**
 * The shared ring holds something we cannot trust (bad mailbox, malformed entry). The ring is
 * stopped at that point: nothing past it is read and nothing more is written to the mapping.
 */
public final class TcmuRingException extends RuntimeException {
    public TcmuRingException(String message) {
        super(message);
    }
}
