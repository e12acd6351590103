package org.blockmirror.local;

import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Clock;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.blockmirror.Version;
import org.blockmirror.alert.AlertCenter;
import org.blockmirror.alert.AlertHook;
import org.blockmirror.alert.AlertListener;
import org.blockmirror.block.BlockDevice;
import org.blockmirror.config.CommonConfig;
import org.blockmirror.control.ControlServer;
import org.blockmirror.dirtymap.DirtyMap;
import org.blockmirror.frontend.FrontEnd;
import org.blockmirror.frontend.FrontEndFactory;
import org.blockmirror.heartbeat.ConnectionArray;
import org.blockmirror.heartbeat.HeartbeatService;
import org.blockmirror.heartbeat.HeartbeatSettings;
import org.blockmirror.heartbeat.LinkStatus;
import org.blockmirror.journal.Journal;
import org.blockmirror.journal.JournalOptions;
import org.blockmirror.journal.JournalStats;
import org.blockmirror.schedule.SendSchedule;
import org.blockmirror.state.UnitIdentity;
import org.blockmirror.time.MonotonicClock;
import org.blockmirror.transport.NettyTransport;
import org.blockmirror.volume.FileVolume;
import org.blockmirror.volume.Volume;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The local unit: the volume the host writes to, the journal, the heartbeat link and the
 * replicator, wired together. {@link #device()} is what a front end (SCSI over TCMU, or the
 * embedded one) drives.
 */
public final class LocalDaemon implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LocalDaemon.class);

    private final LocalConfig config;
    private final UUID unitId;
    private final Volume volume;
    private final Journal journal;
    private final WritePipeline pipeline;
    private final EventLoopGroup transportGroup;
    private final Replicator replicator;
    private final ConnectionArray connections;
    private final HeartbeatService heartbeats;
    private final ScheduledExecutorService timers;
    private final ControlServer control;
    private final AlertCenter alerts;
    private final AlertListener alertHook;
    private final FrontEnd frontEnd; // null: frontend = none
    private final DirtyMap dirtyMap;
    private final QueueControlState queueState;
    private final VolumeFailover failover;
    private final FailoverState failoverState;
    private final VolumeOpener volumes;

    private LocalDaemon(LocalConfig config, UUID unitId, Volume volume, Journal journal, WritePipeline pipeline,
                        EventLoopGroup transportGroup, Replicator replicator, ConnectionArray connections,
                        HeartbeatService heartbeats, ScheduledExecutorService timers, ControlServer control,
                        AlertCenter alerts, AlertListener alertHook, FrontEnd frontEnd, DirtyMap dirtyMap,
                        QueueControlState queueState, VolumeFailover failover, FailoverState failoverState,
                        VolumeOpener volumes) {
        this.config = config;
        this.unitId = unitId;
        this.volume = volume;
        this.journal = journal;
        this.pipeline = pipeline;
        this.transportGroup = transportGroup;
        this.replicator = replicator;
        this.connections = connections;
        this.heartbeats = heartbeats;
        this.timers = timers;
        this.control = control;
        this.alerts = alerts;
        this.alertHook = alertHook;
        this.frontEnd = frontEnd;
        this.dirtyMap = dirtyMap;
        this.queueState = queueState;
        this.failover = failover;
        this.failoverState = failoverState;
        this.volumes = volumes;
    }

    /**
     * Opens (or creates) the journal and recovers it, redoes its unacknowledged records onto the
     * local volume, and starts serving and replicating.
     *
     * @param formatJournal format the journal even if the path exists (destroys its content)
     */
    public static LocalDaemon start(LocalConfig config, MonotonicClock clock, Random random, boolean formatJournal)
            throws IOException {
        return start(config, clock, Clock.systemDefaultZone(), random, formatJournal, FrontEndFactory.UNAVAILABLE);
    }

    /**
     * @param timeOfDay wall-clock time and zone the send-blackout windows are read in
     */
    public static LocalDaemon start(LocalConfig config, MonotonicClock clock, Clock timeOfDay, Random random,
                                    boolean formatJournal) throws IOException {
        return start(config, clock, timeOfDay, random, formatJournal, FrontEndFactory.UNAVAILABLE);
    }

    /** As {@link #start(LocalConfig, MonotonicClock, Random, boolean)}, with a front end. */
    public static LocalDaemon start(LocalConfig config, MonotonicClock clock, Random random, boolean formatJournal,
                                    FrontEndFactory frontEnds) throws IOException {
        return start(config, clock, Clock.systemDefaultZone(), random, formatJournal, frontEnds);
    }

    /**
     * Starts the local unit. When {@code frontend} is not none, the front end is started last
     * (the host sees the disk only once every write it sends can be journalled and mirrored)
     * and closed first.
     *
     * @param timeOfDay wall-clock time and zone the send-blackout windows are read in
     */
    public static LocalDaemon start(LocalConfig config, MonotonicClock clock, Clock timeOfDay, Random random,
                                    boolean formatJournal, FrontEndFactory frontEnds) throws IOException {
        return start(config, clock, timeOfDay, random, formatJournal, frontEnds, null);
    }

    /**
     * As above, with the role logic's admission of every session ({@code gate}, null for none):
     * the primary half of a {@code blockmirror unit} (docs/roles.md §5).
     */
    public static LocalDaemon start(LocalConfig config, MonotonicClock clock, Clock timeOfDay, Random random,
                                    boolean formatJournal, FrontEndFactory frontEnds, Replicator.SessionGate gate)
            throws IOException {
        return start(config, clock, timeOfDay, random, formatJournal, frontEnds, gate, VolumeOpener.FILES);
    }

    /**
     * As above, opening the local volume with {@code volumes} (at start-up and when a failed disk
     * is replaced; tests inject faults through it).
     */
    public static LocalDaemon start(LocalConfig config, MonotonicClock clock, Clock timeOfDay, Random random,
                                    boolean formatJournal, FrontEndFactory frontEnds, Replicator.SessionGate gate,
                                    VolumeOpener volumes) throws IOException {
        CommonConfig c = config.common();
        UUID unitId = UnitIdentity.loadOrCreate(c.stateDir(), c.unitId(),
                () -> new UUID(random.nextLong(), random.nextLong()));
        List<AutoCloseable> opened = new ArrayList<>();
        try {
            AlertListener alertHook = AlertHook.of(c.alert());
            if (alertHook instanceof AutoCloseable closeable) {
                opened.add(closeable);
            }
            AlertCenter alerts = new AlertCenter("local", c.volumeId(), clock, alertHook);
            FailoverState failoverState = FailoverState.open(c.stateDir());
            opened.add(failoverState);
            ReplaceableVolume volume = new ReplaceableVolume(openVolume(volumes, c, failoverState));
            opened.add(volume);
            boolean newJournal = formatJournal || journalIsNew(config);
            Journal journal = openJournal(config, clock, formatJournal);
            opened.add(journal);
            QueueControlState queueState = QueueControlState.open(c.stateDir());
            opened.add(queueState);
            if (failoverState.volumeFailed()) {
                // the volume lacks what the remote acknowledged while degraded; redoing the journal onto it
                // would not bring those writes back: it is refilled from the remote when it is replaced
                log.warn("{}: the local volume failed before the restart ({}): not redoing the journal onto it;"
                        + " serving through the peer until `blockmirror volume replace`", failoverState.path(),
                        failoverState.reason());
            } else {
                redo(journal, volume, redoFrom(journal, queueState, newJournal));
            }
            DirtyMap dirtyMap = DirtyMap.openOrCreate(config.dirtyMapPath(), c.blockSize(), volume.blockCount(),
                    config.dirtyMapChunkBytes() / c.blockSize());
            opened.add(dirtyMap);
            if (!dirtyMap.isEmpty()) {
                log.warn("dirty map {} holds {} chunks ({} damaged pages read as dirty): bitmap mode resumes",
                        dirtyMap.path(), dirtyMap.dirtyChunks(), dirtyMap.recoveredPages());
            }

            WritePipeline pipeline = new WritePipeline(volume, journal, clock, new WritePipeline.Settings(
                    config.ackMode(), config.journalFullTimeoutMs(), config.syncTimeoutMs(), config.maxRecordBytes(),
                    config.maxBatchBytes()), new CompactPolicy(config.journalHighWaterPercent()), dirtyMap, queueState);
            java.util.concurrent.atomic.AtomicReference<Replicator> replicatorRef = new java.util.concurrent.atomic.AtomicReference<>();
            int peerReadBytes = Math.min(config.maxRecordBytes(), c.maxFrameBytes() - org.blockmirror.protocol.ReadData.FIELDS_LENGTH);
            PeerReadClient peerReads = new PeerReadClient(hint -> {
                Replicator r = replicatorRef.get();
                return r == null ? null : r.readChannel(hint);
            }, c.blockSize(), peerReadBytes, (int) config.syncTimeoutMs());
            VolumeFailover failover = new VolumeFailover(failoverState, peerReads, journal, volume,
                    Math.min(1 << 20, peerReadBytes), config.syncTimeoutMs());
            pipeline.enableFailover(failover);
            pipeline.start();
            opened.add(pipeline);

            // one event loop per connection, but no more loops than CPUs: on a small machine every
            // extra loop is an extra thread to wake per message
            EventLoopGroup group = NettyTransport.preferred().newGroup(Math.min(config.connections(),
                    Math.min(4, Runtime.getRuntime().availableProcessors())), null);
            opened.add(() -> group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly());
            ConnectionArray connections = new ConnectionArray(config.connections(), clock);
            Replicator replicator = new Replicator(journal, pipeline, new Replicator.Settings(config.remoteAddress(),
                    config.connections(), config.windowBytes(), config.reconnectBackoffMs(),
                    config.handshakeTimeoutMs(), c.maxFrameBytes(), config.sendCoalesceMicros()),
                    new Replicator.Identity(unitId, c.volumeId(), volume.sizeBytes(), c.blockSize(),
                            config.ackMode().wire()),
                    group, random::nextLong, connections, new SendSchedule(config.rateLimitBytesPerSecond(),
                            config.sendBlackout(), clock, timeOfDay));
            replicator.setReadAnswers(peerReads::onReadData);
            replicatorRef.set(replicator);
            replicator.setSendingStopped(queueState.sendStopped());
            replicator.setSessionGate(gate);
            RemirrorSource.Settings remirrorSettings = RemirrorSource.Settings.defaults();
            remirrorSettings = new RemirrorSource.Settings(remirrorSettings.rangesPerFrame(),
                    remirrorSettings.maxBytesInFlight(), remirrorSettings.answerTimeoutMs(),
                    Math.min(remirrorSettings.maxDataBytes(), config.maxRecordBytes())); // fits the remote's frames
            RemirrorSource remirrorSource = new RemirrorSource(pipeline, volume, alerts, clock, remirrorSettings);
            opened.add(remirrorSource);
            replicator.setRemirror(new RemirrorPhase(journal, pipeline, remirrorSource));
            replicator.start();
            opened.add(replicator);
            QueueControl queueControl = new QueueControl(pipeline, replicator, journal, queueState, clock,
                    timeOfDay.getZone());

            HeartbeatService heartbeats = HeartbeatService.builder()
                    .unitId(unitId).volumeId(c.volumeId())
                    .bindAddress(CommonConfig.resolve(c.heartbeatListen()))
                    .peerAddress(CommonConfig.resolve(c.heartbeatPeer()))
                    .settings(heartbeatSettings(c)).clock(clock).connections(connections)
                    .build();
            heartbeats.monitor().addListener(replicator);
            LocalAlerts alertSources = new LocalAlerts(alerts, journal, pipeline, replicator, config, clock);
            heartbeats.monitor().addListener(alertSources);
            heartbeats.start();
            opened.add(heartbeats);

            ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "local-timers");
                t.setDaemon(true);
                return t;
            });
            timers.scheduleWithFixedDelay(pipeline::expireSyncWaits, 100, 100, TimeUnit.MILLISECONDS);
            timers.scheduleWithFixedDelay(alertSources::check, 200, 200, TimeUnit.MILLISECONDS);
            opened.add(timers::shutdownNow);

            FrontEnd frontEnd = null;
            if (config.frontEnd().enabled()) {
                frontEnd = frontEnds.start(config.frontEnd(), c.volumeId(), pipeline);
                opened.add(frontEnd);
            }

            LocalDaemon[] self = new LocalDaemon[1];
            ControlServer control = ControlServer.start(c.controlSocket(),
                    Map.of("status", args -> self[0].status(), "queue", queueControl::command,
                            "volume", args -> self[0].volumeCommand(args)));
            self[0] = new LocalDaemon(config, unitId, volume, journal, pipeline, group, replicator, connections,
                    heartbeats, timers, control, alerts, alertHook, frontEnd, dirtyMap, queueState, failover,
                    failoverState, volumes);
            log.info("local unit {} serving volume '{}' ({} blocks of {} bytes) from {}; mirroring to {} over {} "
                            + "connections, ack mode {}", unitId, c.volumeId(), volume.blockCount(), c.blockSize(),
                    volume.describe(), config.remoteAddress().getHostString() + ":" + config.remoteAddress().getPort(),
                    config.connections(),
                    config.ackMode().name().toLowerCase());
            return self[0];
        } catch (IOException | RuntimeException e) {
            closeAll(opened);
            throw e;
        }
    }

    /**
     * The local volume; if it failed before a restart and cannot even be opened now (the disk is
     * gone), a stand-in whose I/O fails: the unit serves through the peer until it is replaced.
     */
    private static org.blockmirror.volume.Volume openVolume(VolumeOpener volumes, CommonConfig c, FailoverState state)
            throws IOException {
        try {
            return volumes.open(c);
        } catch (IOException e) {
            if (!state.volumeFailed() || c.volumeSize() == 0) {
                throw e;
            }
            log.warn("local volume {} cannot be opened ({}); it had failed before the restart: serving through the peer",
                    c.volumePath(), e.getMessage());
            return new UnavailableVolume(c.volumePath().toString(), c.blockSize(), c.volumeSize(), e.getMessage());
        }
    }

    /**
     * Control command {@code volume [status|replace]}: fail-over state, or start refilling a
     * replaced disk from the remote ({@code volume.path} is opened again).
     */
    public Object volumeCommand(List<String> args) throws IOException {
        String action = args.isEmpty() ? "status" : args.get(0);
        switch (action) {
            case "status" -> { }
            case "replace" -> {
                if (!failover.degraded()) {
                    throw new IOException("the local volume has not failed: nothing to replace");
                }
                org.blockmirror.volume.Volume replacement = volumes.open(config.common());
                try {
                    failover.replace(replacement);
                } catch (IOException | RuntimeException e) {
                    replacement.close();
                    throw e;
                }
            }
            default -> throw new IllegalArgumentException("unknown volume action '" + action + "': status or replace");
        }
        return failover.status();
    }

    /** Fail-over through the peer: degraded mode and the replacement of a failed volume. */
    public VolumeFailover failover() {
        return failover;
    }

    static HeartbeatSettings heartbeatSettings(CommonConfig c) {
        return new HeartbeatSettings(c.heartbeatIntervalMs(), c.heartbeatTimeoutMs(), c.heartbeatProbationMs(),
                c.heartbeatProbationGapMs());
    }

    private static boolean journalIsNew(LocalConfig config) throws IOException {
        return Files.notExists(config.journalPath())
                || (Files.isRegularFile(config.journalPath()) && Files.size(config.journalPath()) == 0);
    }

    /**
     * The first record the start-up redo replays: the journal's tail, or later if the volume is
     * known to hold the records already. That knowledge is what makes a crash in bitmap mode
     * safe: records from before bitmap mode must not be replayed over the newer bitmap-mode
     * writes (docs/architecture.md, "Bitmap mode").
     */
    static long redoFrom(Journal journal, QueueControlState state, boolean newJournal) throws IOException {
        long holds = state.volumeHoldsThroughSeq();
        if (newJournal && holds != 0) {
            state.setVolumeHoldsThroughSeq(0); // sequence numbers start again with a new journal
            holds = 0;
        }
        if (holds >= journal.nextSeq()) {
            log.warn("{} says the volume holds journal records through seq {}, but the journal {} ends at seq {}:"
                    + " was the journal replaced? Redoing every record", state.path(), holds, journal.path(),
                    journal.nextSeq() - 1);
            holds = 0;
        }
        return Math.max(journal.tailSeq(), holds + 1);
    }

    private static Journal openJournal(LocalConfig config, MonotonicClock clock, boolean format) throws IOException {
        CommonConfig c = config.common();
        JournalOptions options = JournalOptions.of(c.blockSize()).withLabel(c.volumeId())
                .withMaxRecordDataBytes(config.maxRecordBytes());
        boolean fresh = Files.notExists(config.journalPath())
                || (Files.isRegularFile(config.journalPath()) && Files.size(config.journalPath()) == 0);
        if (fresh || format) {
            log.info("formatting journal {} ({} bytes)", config.journalPath(), config.journalSize());
            Journal.format(config.journalPath(), config.journalSize(), options, clock).close();
        }
        Journal journal = Journal.open(config.journalPath(), options, clock);
        var report = journal.recoveryReport();
        log.info("journal {} recovered: {}", config.journalPath(), report);
        return journal;
    }

    /**
     * Writes every record the remote has not acknowledged onto the local volume again. The
     * journal is written before the volume, so after a crash the volume may lack the newest
     * records; redoing them in order makes it equal to what the remote will receive.
     */
    static void redo(Journal journal, Volume volume, long from) throws IOException {
        new JournalRedo(journal, volume).run(from); // COMPACT records have no data to redo: see JournalRedo
    }

    /** The block device front ends drive. */
    public BlockDevice device() {
        return pipeline;
    }

    public UUID unitId() {
        return unitId;
    }

    public LocalConfig config() {
        return config;
    }

    public LocalStatus status() {
        JournalStats js = journal.stats();
        LinkStatus ls = heartbeats.monitor().status();
        var hb = heartbeats.stats();
        long acked = replicator.ackedSeq();
        SendSchedule schedule = replicator.schedule();
        ZonedDateTime resumesAt = schedule.resumesAt();
        long free = js.capacityBytes() - js.usedBytes();
        return new LocalStatus("local", Version.current(), config.common().volumeId(), unitId.toString(),
                config.ackMode().name().toLowerCase(),
                new LocalStatus.Link(ls.state().name(), ls.millisInState(),
                        ls.lastHeardAgeMillis().isPresent() ? ls.lastHeardAgeMillis().getAsLong() : null,
                        ls.probationRemainingMillis().isPresent() ? ls.probationRemainingMillis().getAsLong() : null,
                        heartbeats.monitor().peer(), hb.sent(), hb.received()),
                new LocalStatus.Replication(replicator.phase().name(), replicator.connectionsUp(),
                        replicator.connectionsConfigured(), replicator.sentSeq(), acked, replicator.sessionsOpened(),
                        replicator.naks(), replicator.lastError(), resumesAt != null ? "blackout" : "open",
                        resumesAt == null ? null : resumesAt.toOffsetDateTime().toString(),
                        schedule.rateBytesPerSecond(), schedule.blackout().toString()),
                new LocalStatus.Journal(journal.path().toString(), js.capacityBytes(), js.usedBytes(), free,
                        js.capacityBytes() == 0 ? 0 : Math.round(1000.0 * js.usedBytes() / js.capacityBytes()) / 10.0,
                        js.recordCount(), js.tailSeq(), js.headSeq(), js.durableSeq(), js.full(), js.epoch(),
                        js.unreleasedBytes(), config.journalHighWaterPercent(), pipeline.compactRecords(),
                        pipeline.preservedBlocks()),
                new LocalStatus.Buffer(pipeline.mode().label(), pipeline.bitmapReason(),
                        js.capacityBytes() == 0 ? 0
                                : Math.round(1000.0 * js.unreleasedBytes() / js.capacityBytes()) / 10.0,
                        config.journalHighWaterPercent(), pipeline.enqueueStopped(), replicator.sendingStopped(),
                        dirtyMap.path().toString(), config.dirtyMapChunkBytes(), dirtyMap.dirtyChunks(),
                        dirtyMap.dirtyBlocks(), pipeline.bitmapSinceSeq(), remirrorStatus()),
                new LocalStatus.Blocks(pipeline.blocksWritten(), replicator.blocksSent(), replicator.blocksAcked(),
                        pipeline.writesFailed()),
                new LocalStatus.Verification(replicator.verified(), replicator.verifyMismatches(),
                        replicator.resends()),
                frontEnd == null ? null : frontEnd.status(),
                Math.max(0, js.durableSeq() - acked), js.usedBytes(), alerts.active(), failover.status());
    }

    /** Journal records the remote has not acknowledged yet. */
    public long unacknowledgedRecords() {
        return Math.max(0, journal.durableSeq() - replicator.ackedSeq());
    }

    /** The last (or running) remirror, or null if none ran since the start. */
    private LocalStatus.Remirror remirrorStatus() {
        RemirrorSource.Progress p = replicator.remirrorProgress();
        if (p == null || p.kind() == null) {
            return null;
        }
        return new LocalStatus.Remirror(p.chunksTotal(), p.chunksDone(),
                p.chunksTotal() == 0 ? 100.0 : Math.round(1000.0 * p.chunksDone() / p.chunksTotal()) / 10.0,
                p.active(), p.kind(), p.chunksDiffering(), p.blocksSent(), p.dataBytesSent(),
                p.checksumBytesSent() + p.checksumBytesReceived(), p.passes());
    }

    /**
     * Waits until the remote has everything written so far: every journal record acknowledged
     * and no chunk left to remirror (for tests and the demo).
     */
    public boolean awaitDrained(long timeout, TimeUnit unit) throws InterruptedException {
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        while (System.nanoTime() < deadline) {
            if (replicator.ackedSeq() >= journal.durableSeq() && dirtyMap.isEmpty()
                    && pipeline.mode() != BufferMode.BITMAP && pipeline.mode() != BufferMode.REMIRROR) {
                return true;
            }
            Thread.sleep(20);
        }
        return replicator.ackedSeq() >= journal.durableSeq();
    }

    @Override
    public void close() {
        control.close();
        if (frontEnd != null) {
            try {
                frontEnd.close(); // the host loses the disk before anything it writes to goes away
            } catch (Exception e) {
                log.warn("error while removing the front end: {}", e.toString());
            }
        }
        // listed in opening order; closed in reverse
        closeAll(List.of(alertHook instanceof AutoCloseable hook ? hook : () -> { }, failoverState, volume, journal, queueState,
                dirtyMap, pipeline,
                () -> transportGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly(),
                replicator, heartbeats, timers::shutdownNow));
        log.info("local unit {} stopped", unitId);
    }

    /** Closes in reverse order of opening, logging rather than throwing. */
    private static void closeAll(List<AutoCloseable> opened) {
        for (int i = opened.size() - 1; i >= 0; i--) {
            try {
                opened.get(i).close();
            } catch (Exception e) {
                log.warn("error while shutting down: {}", e.toString());
            }
        }
    }
}
