package org.blockmirror.remote;

import org.blockmirror.protocol.Generations;
import org.blockmirror.protocol.Message;
import org.blockmirror.protocol.RoleReverse;

/**
 * The role logic of a {@code blockmirror unit} as the receiving (secondary) half sees it
 * (docs/roles.md §5): answers the primary's GENERATIONS and ROLE_REVERSE, and says which sessions
 * may write. Called on a Netty event loop; may persist the role state (a rare, short fsync).
 */
public interface RoleGate {

    /** The answer to the primary's GENERATIONS: GENERATIONS (mirror) or ROLE_REJECT. */
    Message onGenerations(long sessionId, Generations primary);

    /** Whether WRITEs of this session may be applied (its GENERATIONS was answered with agreement). */
    boolean admits(long sessionId);

    /** The answer to ROLE_REVERSE; the reply's {@code afterSent} runs once it has been written. */
    Reply onReverse(RoleReverse request);

    /** An answer and what to do once it has been sent. */
    record Reply(Message message, Runnable afterSent) {
    }
}
