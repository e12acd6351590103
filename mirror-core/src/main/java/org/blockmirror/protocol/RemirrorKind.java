package org.blockmirror.protocol;

/** Why a remirror runs (u8 in REMIRROR_BEGIN); informational for the remote's status and log. */
public enum RemirrorKind {
    /** The first synchronisation of a new pair: every chunk is compared. */
    INITIAL_SYNC(1),
    /** The journal could not hold the changes (bitmap mode) or the remote fell behind it: dirty chunks are compared. */
    RESYNC(2);

    private final int code;

    RemirrorKind(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    /** The kind with this wire code, or {@code null} if the code is not defined. */
    public static RemirrorKind fromCode(int code) {
        for (RemirrorKind k : values()) {
            if (k.code == code) {
                return k;
            }
        }
        return null;
    }
}
