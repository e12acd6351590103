package org.blockmirror.protocol;

import java.util.Objects;
import org.blockmirror.role.GenerationState;

/**
 * Role reversal (SPEC F9): the primary drained its journal and persisted its demotion; it asks the
 * peer to promote itself. {@code state} is the sender's state after the demotion.
 */
public record RoleReverse(GenerationState state) implements Message {

    public RoleReverse {
        Objects.requireNonNull(state, "state");
    }

    @Override
    public FrameType frameType() {
        return FrameType.ROLE_REVERSE;
    }
}
