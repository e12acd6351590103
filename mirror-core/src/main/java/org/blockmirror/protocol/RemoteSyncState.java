package org.blockmirror.protocol;

/**
 * What the remote's copy is, as HELLO_OK (u8 at offset 40) and the remirror answers report it.
 * Protocol version 2.
 */
public enum RemoteSyncState {
    /** A new remote: no write was ever applied and no remirror finished. The local unit starts a full sync. */
    NEVER_SYNCED(1),
    /** A remirror wrote to the copy and has not finished: it is not an ordered prefix of the local volume. */
    INCONSISTENT(2),
    /** The copy equals the local volume as of its applied seq (an ordered prefix). */
    CONSISTENT(3);

    private final int code;

    RemoteSyncState(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    /** The state with this wire code, or {@code null} if the code is not defined. */
    public static RemoteSyncState fromCode(int code) {
        for (RemoteSyncState s : values()) {
            if (s.code == code) {
                return s;
            }
        }
        return null;
    }
}
