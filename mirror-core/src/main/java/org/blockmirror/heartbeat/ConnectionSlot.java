package org.blockmirror.heartbeat;

import java.util.OptionalLong;

/**
 * A snapshot of one {@link ConnectionArray} element, for status output.
 *
 * @param index              the slot, 0..n-1 (one per worker/connection thread)
 * @param status             EMPTY, UP or DOWN
 * @param connection         the connection's description; empty string for EMPTY
 * @param lastHeardAgeMillis time since a heartbeat last refreshed this element; empty if never
 */
public record ConnectionSlot(int index, ConnectionStatus status, String connection,
                             OptionalLong lastHeardAgeMillis) {
}
