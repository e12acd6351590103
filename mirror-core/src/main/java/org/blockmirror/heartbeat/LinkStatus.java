package org.blockmirror.heartbeat;

import java.util.OptionalLong;

/**
 * A consistent snapshot of a {@link LinkMonitor}, for status output.
 *
 * @param state                    the current state
 * @param millisInState            how long the monitor has been in {@code state} (for
 *                                 PROBATION: since the probation last (re)started)
 * @param lastHeardAgeMillis       time since the last heartbeat; empty if never heard
 * @param probationRemainingMillis time until the link may go UP; present only in PROBATION
 * @param transitions              how many transitions happened since start
 */
public record LinkStatus(LinkState state, long millisInState, OptionalLong lastHeardAgeMillis,
                         OptionalLong probationRemainingMillis, long transitions) {
}
