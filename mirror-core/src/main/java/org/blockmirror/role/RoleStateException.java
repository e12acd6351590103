package org.blockmirror.role;

import java.io.IOException;

/**
 * The role state file cannot be used: missing, damaged, for another volume, or of an unknown
 * version. The message names the file and says what to do. The daemon must not start the volume
 * with a made-up state instead: a reset state could hide a split brain and let a resync overwrite
 * changes nobody chose to discard.
 */
public class RoleStateException extends IOException {

    public RoleStateException(String message) {
        super(message);
    }
}
