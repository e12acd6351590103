package org.blockmirror.remote;

import org.blockmirror.alert.AlertCenter;
import org.blockmirror.alert.AlertKind;
import org.blockmirror.heartbeat.LinkListener;
import org.blockmirror.heartbeat.LinkState;
import org.blockmirror.protocol.RemoteSyncState;

/**
 * Feeds the remote unit's {@link AlertCenter}: link transitions as they happen, and a periodic
 * {@link #check()} of the applier. Writes that could not be applied are an alert until the
 * applied sequence moves past them (the local unit's resend succeeded).
 */
final class RemoteAlerts implements LinkListener {

    private final AlertCenter center;
    private final Applier applier;
    private final RemirrorTarget remirror;
    private long failuresSeen;
    private boolean refusalShown;
    private long appliedAtLastFailure;

    RemoteAlerts(AlertCenter center, Applier applier, RemirrorTarget remirror) {
        this.center = center;
        this.applier = applier;
        this.remirror = remirror;
        this.failuresSeen = applier.failures();
    }

    /** On the heartbeat's thread: only records the change. */
    @Override
    public void onTransition(LinkState from, LinkState to, String reason) {
        switch (to) {
            case DOWN -> center.raise(AlertKind.LINK_DOWN, reason);
            case PROBATION -> center.raise(AlertKind.LINK_DOWN, "link on probation: " + reason);
            case UP -> center.clear(AlertKind.LINK_DOWN, reason);
            case STARTING -> { }
        }
    }

    /** Called every few hundred milliseconds, on one thread. */
    void check() {
        long failures = applier.failures();
        long applied = applier.durableAppliedSeq();
        remirror.appliedSeqMoved();
        center.set(AlertKind.REMOTE_INCONSISTENT, remirror.syncState() == RemoteSyncState.INCONSISTENT,
                "a remirror is writing to the copy (or did not finish): it is not an ordered prefix of the local"
                        + " volume until the remirror ends");
        String refused = remirror.refusal();
        if (refused != null) {
            center.raise(AlertKind.REPLICATION_ERROR, refused);
            refusalShown = true;
        } else if (refusalShown) {
            center.clear(AlertKind.REPLICATION_ERROR, "the remirror is no longer refused");
            refusalShown = false;
        } else if (failures > failuresSeen) {
            center.raise(AlertKind.REPLICATION_ERROR, (failures - failuresSeen) + " write(s) could not be applied"
                    + " after seq " + applied + " (see the log); the local unit resends them");
            failuresSeen = failures;
            appliedAtLastFailure = applied;
        } else if (applied > appliedAtLastFailure) {
            center.clear(AlertKind.REPLICATION_ERROR, "writes are applied again (seq " + applied + ")");
        }
    }
}
