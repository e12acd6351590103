package org.blockmirror.protocol;

import io.netty.handler.codec.CorruptedFrameException;

/**
 * The peer sent bytes that are not a valid frame of this protocol. The message says what was wrong
 * and with which values. The connection is not usable afterwards: {@link FrameDecoder} discards all
 * further input and {@link ProtocolErrorHandler} closes the channel.
 */
public class ProtocolException extends CorruptedFrameException {

    private final RejectReason handshakeReject;

    public ProtocolException(String message) {
        this(message, null);
    }

    /**
     * @param handshakeReject set when the error was in the first frame of a connection and a server
     *     should answer it with HELLO_REJECT of this reason rather than a GOODBYE; may be null
     */
    public ProtocolException(String message, RejectReason handshakeReject) {
        super(message);
        this.handshakeReject = handshakeReject;
    }

    /** The HELLO_REJECT reason a server should answer with, or {@code null} (answer GOODBYE). */
    public RejectReason handshakeReject() {
        return handshakeReject;
    }
}
