package org.blockmirror.frontend;

import java.io.IOException;

/**
 * A running front end: the unit's volume as the host sees it (e.g. a SCSI disk behind LIO).
 * Closing it removes the disk from the host; a daemon closes its front end before anything the
 * front end writes to.
 */
public interface FrontEnd extends AutoCloseable {

    FrontEndStatus status();

    @Override
    void close() throws IOException;
}
