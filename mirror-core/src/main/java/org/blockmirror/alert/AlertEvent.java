package org.blockmirror.alert;

/**
 * One change of an alert, as it is handed to the hook command.
 *
 * @param kind       what it is about
 * @param state      raised or cleared (one-shot events are always raised)
 * @param role       "local" or "remote"
 * @param volumeId   the mirrored volume
 * @param message    a sentence for people
 * @param timeMillis wall-clock time of the change, milliseconds since the epoch
 */
public record AlertEvent(AlertKind kind, State state, String role, String volumeId, String message,
                         long timeMillis) {

    /** Whether the alert started or ended. */
    public enum State {
        RAISED, CLEARED;

        /** As passed to the hook: {@code raised} or {@code cleared}. */
        public String word() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }
}
