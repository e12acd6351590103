package org.blockmirror.protocol;

import java.util.Objects;
import org.blockmirror.role.GenerationState;

/** Answer to {@link RoleReverse}: the peer persisted its promotion ({@code state}) and becomes primary. */
public record RoleReverseOk(GenerationState state) implements Message {

    public RoleReverseOk {
        Objects.requireNonNull(state, "state");
    }

    @Override
    public FrameType frameType() {
        return FrameType.ROLE_REVERSE_OK;
    }
}
