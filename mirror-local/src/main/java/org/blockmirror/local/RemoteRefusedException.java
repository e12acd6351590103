package org.blockmirror.local;

import java.io.IOException;
import org.blockmirror.protocol.HelloReject;
import org.blockmirror.protocol.RejectReason;

/** The remote answered HELLO with HELLO_REJECT. */
final class RemoteRefusedException extends IOException {
    private final RejectReason reason;

    RemoteRefusedException(HelloReject reject) {
        super("remote refused the session (" + reject.reason() + "): " + reject.message());
        this.reason = reject.reason();
    }

    RejectReason reason() {
        return reason;
    }
}
