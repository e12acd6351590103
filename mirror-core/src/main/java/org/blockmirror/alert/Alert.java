package org.blockmirror.alert;

/**
 * An active alert, as {@code status} shows it.
 *
 * @param kind        what it is about
 * @param message     a sentence for people (the latest one, if the condition was re-raised)
 * @param sinceMillis wall-clock time it was raised, milliseconds since the epoch
 */
public record Alert(AlertKind kind, String message, long sinceMillis) {
}
