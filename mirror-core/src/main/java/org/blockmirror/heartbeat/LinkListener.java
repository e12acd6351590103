package org.blockmirror.heartbeat;

/**
 * Told about every transition of a {@link LinkMonitor}.
 *
 * <p>Called synchronously, in order, on the thread that drives the monitor (for
 * {@link HeartbeatService}: its event loop) while the monitor's lock is held. A listener must
 * therefore not block: hand reconnecting and replaying to another executor. A listener that
 * throws is logged and skipped; the transition stands and later listeners are still called.
 */
@FunctionalInterface
public interface LinkListener {

    /**
     * @param from   the state before; equal to {@code to} only for
     *               {@link LinkState#PROBATION} restarting after an interruption
     * @param to     the new state
     * @param reason a human-readable sentence, the same one the monitor logs
     */
    void onTransition(LinkState from, LinkState to, String reason);
}
