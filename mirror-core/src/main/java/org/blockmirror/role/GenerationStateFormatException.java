package org.blockmirror.role;

/** Bytes that should hold a {@link GenerationState} do not; the message says which field was wrong. */
public class GenerationStateFormatException extends IllegalArgumentException {

    public GenerationStateFormatException(String message) {
        super(message);
    }
}
