package org.blockmirror.alert;

/**
 * Told about every change of an {@link AlertCenter}, in order, while the center's lock is held:
 * must not block (the hook runner only queues the event).
 */
@FunctionalInterface
public interface AlertListener {

    /** Ignores every event. */
    AlertListener NONE = event -> { };

    void onAlert(AlertEvent event);
}
