package org.blockmirror.volume;

import java.io.IOException;

/** A volume could not be opened or addressed as asked; the message says which volume and why. */
public class VolumeException extends IOException {
    public VolumeException(String message) {
        super(message);
    }

    public VolumeException(String message, Throwable cause) {
        super(message, cause);
    }
}
