package org.blockmirror.local;

import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.blockmirror.alert.AlertCenter;
import org.blockmirror.alert.AlertKind;
import org.blockmirror.alert.HighWaterMark;
import org.blockmirror.heartbeat.LinkListener;
import org.blockmirror.heartbeat.LinkState;
import org.blockmirror.journal.Journal;
import org.blockmirror.journal.JournalStats;
import org.blockmirror.time.MonotonicClock;

/**
 * Feeds the local unit's {@link AlertCenter} from the real sources: link transitions as they
 * happen, and a periodic {@link #check()} of the journal, the write pipeline and the
 * replicator (their flags are cheap to read; polling keeps the write path free of alert code).
 */
final class LocalAlerts implements LinkListener {

    /** Sessions must keep failing this long before it is an alert (a refused HELLO during probation is not). */
    static final long REPLICATION_ERROR_GRACE_MS = 2_000;

    private final AlertCenter center;
    private final Journal journal;
    private final WritePipeline pipeline;
    private final Replicator replicator;
    private final HighWaterMark highWater;
    private final LocalConfig config;
    private final MonotonicClock clock;
    private long replicationFailingSinceNanos = -1;

    LocalAlerts(AlertCenter center, Journal journal, WritePipeline pipeline, Replicator replicator,
                LocalConfig config, MonotonicClock clock) {
        this.center = center;
        this.journal = journal;
        this.pipeline = pipeline;
        this.replicator = replicator;
        this.highWater = new HighWaterMark(config.journalHighWaterPercent());
        this.config = config;
        this.clock = clock;
    }

    /** On the heartbeat's thread: only records the change. */
    @Override
    public void onTransition(LinkState from, LinkState to, String reason) {
        switch (to) {
            case DOWN -> center.raise(AlertKind.LINK_DOWN, reason + "; writes queue in the journal");
            case PROBATION -> center.raise(AlertKind.LINK_DOWN, "link on probation: " + reason);
            case UP -> center.clear(AlertKind.LINK_DOWN, reason);
            case STARTING -> { }
        }
    }

    /** Raises and clears the polled conditions; called every few hundred milliseconds. */
    void check() {
        JournalStats js = journal.stats();
        center.set(AlertKind.JOURNAL_FULL, js.full() || pipeline.journalFullAlert(), pipeline.hasDirtyMap()
                ? "journal full: unacknowledged records collapse into the dirty map (bitmap mode)"
                : "journal full: new host writes wait up to " + config.journalFullTimeoutMs()
                        + " ms for space, then fail");
        double used = js.capacityBytes() == 0 ? 0 : 100.0 * js.unreleasedBytes() / js.capacityBytes();
        String usage = String.format(Locale.ROOT, "journal %.1f%% unacknowledged (high-water mark %d%%)", used,
                highWater.percent());
        if (highWater.update(used)) {
            center.raise(AlertKind.JOURNAL_HIGH_WATER, usage);
        } else {
            center.clear(AlertKind.JOURNAL_HIGH_WATER, usage);
        }
        center.set(AlertKind.SYNC_DEGRADED, pipeline.syncDegraded(), "sync mode degraded: the remote did not"
                + " acknowledge within " + config.syncTimeoutMs() + " ms; writes complete locally and are replayed");
        String fatal = pipeline.fatalError();
        String degraded = pipeline.degradedMessage(); // fail-over: serving through the peer
        center.set(AlertKind.VOLUME_IO_ERROR, fatal != null || degraded != null, fatal != null ? fatal : degraded);
        String error = replicator.lastError();
        long now = clock.nanos();
        if (error == null) {
            replicationFailingSinceNanos = -1;
        } else if (replicationFailingSinceNanos < 0) {
            replicationFailingSinceNanos = now;
        }
        center.set(AlertKind.REPLICATION_ERROR, error != null
                && now - replicationFailingSinceNanos >= TimeUnit.MILLISECONDS.toNanos(REPLICATION_ERROR_GRACE_MS),
                error);
    }
}
