package org.blockmirror.tcmu;

import java.io.IOException;

/** The event side of a uio device: wait for the kernel's interrupt, and kick it back. */
public interface UioEvents extends KernelDoorbell {

    /**
     * Waits up to {@code timeoutMillis} for the kernel to signal new ring entries and consumes
     * the signal.
     *
     * @return true if signalled, false on timeout
     */
    boolean awaitEvent(int timeoutMillis) throws IOException;
}
