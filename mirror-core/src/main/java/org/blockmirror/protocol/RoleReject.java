package org.blockmirror.protocol;

import java.util.Objects;
import org.blockmirror.role.GenerationState;

/**
 * The peer refuses to mirror this session, or to take over in a role reversal, and says why. It
 * carries the refusing unit's state so the other side can apply {@code observePeer} (fencing) and
 * reach the same decision. {@code message} is for humans (≤ 1024 bytes UTF-8).
 */
public record RoleReject(RoleRejectReason reason, GenerationState state, String message) implements Message {

    public RoleReject {
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(state, "state");
        WireStrings.checkMessage(message);
    }

    @Override
    public FrameType frameType() {
        return FrameType.ROLE_REJECT;
    }
}
