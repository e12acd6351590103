package org.blockmirror.role;

/**
 * What a unit does for one volume. The PRIMARY serves the host (its front end is ready) and sends
 * the mirror; the SECONDARY receives the mirror and shows the host a NOT READY disk (SPEC F10).
 * The wire codes are in docs/roles.md.
 */
public enum Role {
    PRIMARY(1),
    SECONDARY(2);

    private final int code;

    Role(int code) {
        this.code = code;
    }

    /** The byte that stands for this role on disk and on the wire. */
    public int code() {
        return code;
    }

    /** The role with this code, or {@code null} if the code is unknown. */
    public static Role fromCode(int code) {
        for (Role r : values()) {
            if (r.code == code) {
                return r;
            }
        }
        return null;
    }
}
