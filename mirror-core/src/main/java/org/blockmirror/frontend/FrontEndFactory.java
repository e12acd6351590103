package org.blockmirror.frontend;

import java.io.IOException;
import org.blockmirror.block.BlockDevice;

/**
 * Starts the front end a configuration asks for. The daemons do not depend on the SCSI module;
 * the command line passes them the TCMU implementation.
 */
@FunctionalInterface
public interface FrontEndFactory {

    /**
     * @param config   the unit's {@code frontend.*} settings (type is not NONE)
     * @param volumeId the mirrored volume's id: both units derive the disk's identity from it
     * @param device   what the front end serves
     * @throws IOException with a message naming what is missing when the front end cannot start
     */
    FrontEnd start(FrontEndConfig config, String volumeId, BlockDevice device) throws IOException;

    /** For builds and tests without a SCSI front end: refuses any type but NONE. */
    FrontEndFactory UNAVAILABLE = (config, volumeId, device) -> {
        throw new IOException("frontend = " + config.type().name().toLowerCase()
                + " is not available here (no SCSI front end in this build)");
    };
}
