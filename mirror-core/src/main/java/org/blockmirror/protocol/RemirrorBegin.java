package org.blockmirror.protocol;

import java.util.Objects;

/**
 * Local → remote: a remirror starts on this session (type 10). The remote answers
 * {@link RemirrorReady}.
 *
 * @param kind         initial sync or resync
 * @param dirtyChunks  chunks the local unit will compare (for the remote's progress display)
 * @param dirtyBytes   bytes those chunks cover
 */
public record RemirrorBegin(RemirrorKind kind, long dirtyChunks, long dirtyBytes) implements Message {

    public RemirrorBegin {
        Objects.requireNonNull(kind, "kind");
        if (dirtyChunks < 0 || dirtyBytes < 0) {
            throw new IllegalArgumentException("dirty chunks " + Long.toUnsignedString(dirtyChunks) + " and bytes "
                    + Long.toUnsignedString(dirtyBytes) + " must be in 0..2^63-1");
        }
    }

    @Override
    public FrameType frameType() {
        return FrameType.REMIRROR_BEGIN;
    }
}
