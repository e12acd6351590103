package org.blockmirror.role;

/**
 * A role transition is not allowed in the unit's current state. The message says why and, where
 * there is one, what the administrator can do instead. The state is unchanged.
 */
public class RoleTransitionException extends IllegalStateException {

    public RoleTransitionException(String message) {
        super(message);
    }
}
