package org.blockmirror.unit;

import java.io.IOException;
import java.nio.file.Files;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.blockmirror.Version;
import org.blockmirror.alert.AlertCenter;
import org.blockmirror.alert.AlertHook;
import org.blockmirror.alert.AlertListener;
import org.blockmirror.block.BlockDevice;
import org.blockmirror.config.CommonConfig;
import org.blockmirror.control.ControlServer;
import org.blockmirror.frontend.FrontEnd;
import org.blockmirror.frontend.FrontEndFactory;
import org.blockmirror.journal.Journal;
import org.blockmirror.journal.JournalOptions;
import org.blockmirror.journal.JournalStats;
import org.blockmirror.local.LocalDaemon;
import org.blockmirror.local.Replicator;
import org.blockmirror.protocol.AckMode;
import org.blockmirror.protocol.Generations;
import org.blockmirror.protocol.Hello;
import org.blockmirror.protocol.Message;
import org.blockmirror.protocol.RemoteSyncState;
import org.blockmirror.protocol.RoleReject;
import org.blockmirror.protocol.RoleRejectReason;
import org.blockmirror.protocol.RoleReverse;
import org.blockmirror.protocol.RoleReverseOk;
import org.blockmirror.remote.RemoteDaemon;
import org.blockmirror.remote.RoleGate;
import org.blockmirror.role.GenerationState;
import org.blockmirror.role.HandshakeDecision;
import org.blockmirror.role.Resolution;
import org.blockmirror.role.Role;
import org.blockmirror.role.RoleStateException;
import org.blockmirror.role.RoleStateFile;
import org.blockmirror.role.RoleTransitionException;
import org.blockmirror.state.UnitIdentity;
import org.blockmirror.time.MonotonicClock;
import org.blockmirror.volume.FileVolume;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One unit of a pair that can hold either role for its volume (SPEC F9–F12; docs/roles.md §5).
 * The role comes from the volume's {@link RoleStateFile}; the unit runs the matching half —
 * PRIMARY: {@link LocalDaemon} (write pipeline, journal, replicator) behind the host's disk, plus a
 * {@link RoleListener} so that another primary is detected; SECONDARY: {@link RemoteDaemon}
 * (receiver, applier) with the host's disk NOT READY — and switches between them in-process when
 * the role changes, over the same volume, disk ({@link UnitDevice}) and control socket.
 *
 * <p>Every session is admitted by the role exchange (GENERATIONS on connection 0 before any
 * WRITE), decided by {@code HandshakeRules} on both sides; refusals raise an alert and mirror
 * nothing until the administrator acts ({@code blockmirror role …}).
 */
public final class UnitDaemon implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(UnitDaemon.class);
    /** How long {@code role reverse --wait} and {@code role demote --wait} wait for the journal to drain. */
    static final long DRAIN_TIMEOUT_MS = 120_000;
    private static final long DRAIN_TIMEOUT_NO_WAIT_MS = 5_000;
    private static final int PEER_TIMEOUT_MS = 10_000;
    /** How long {@code role reverse} waits, after the peer's confirmation, for the peer's primary half to connect. */
    private static final long TAKE_OVER_TIMEOUT_MS = 30_000;
    /** How often a resync target checks whether its copy became consistent (docs/roles.md §5.8). */
    private static final long RESYNC_CHECK_MS = 100;

    private final UnitConfig config;
    private final MonotonicClock clock;
    private final Random random;
    private final UUID unitId;
    private final long volumeBytes;
    private final AlertCenter alerts;
    private final AlertListener alertHook;
    private final VolumeRole role;
    private final UnitDevice device;
    private final ExecutorService switcher;
    /** Completes a resync by remirror on this unit once its copy is consistent again. */
    private final ScheduledExecutorService resyncWatch;
    private FrontEnd frontEnd;
    private ControlServer control;

    private final Object halves = new Object();
    private volatile LocalDaemon primary;
    private volatile RemoteDaemon secondary;
    private RoleListener listener;
    private volatile boolean closed;

    private UnitDaemon(UnitConfig config, MonotonicClock clock, Random random, UUID unitId, long volumeBytes,
                       AlertCenter alerts, AlertListener alertHook, VolumeRole role) {
        this.config = config;
        this.clock = clock;
        this.random = random;
        this.unitId = unitId;
        this.volumeBytes = volumeBytes;
        this.alerts = alerts;
        this.alertHook = alertHook;
        this.role = role;
        this.device = new UnitDevice(config.common().blockSize(), volumeBytes / config.common().blockSize(), role);
        this.switcher = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "role-switch");
            t.setDaemon(true);
            return t;
        });
        this.resyncWatch = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "resync-watch");
            t.setDaemon(true);
            return t;
        });
        resyncWatch.scheduleWithFixedDelay(this::checkResync, RESYNC_CHECK_MS, RESYNC_CHECK_MS, TimeUnit.MILLISECONDS);
    }

    /**
     * Creates the volume's role state file ({@code blockmirror unit init}): PRIMARY starts the
     * first generation of the data, SECONDARY holds none and receives the primary's. Refuses an
     * existing file: re-initialising a unit can hide a split brain.
     */
    public static GenerationState init(UnitConfig config, Role initialRole, Random random) throws IOException {
        GenerationState s = initialRole == Role.PRIMARY ? GenerationState.fresh().promoteForce(random)
                : GenerationState.fresh();
        if (Files.exists(config.roleStateFile())) {
            throw new IOException(config.roleStateFile() + ": the role state file already exists (role "
                    + describe(config) + "); a unit is initialised once");
        }
        RoleStateFile.create(config.roleStateFile(), config.volumeId(), s).close();
        return s;
    }

    private static String describe(UnitConfig config) {
        try (RoleStateFile f = RoleStateFile.open(config.roleStateFile(), config.volumeId())) {
            return f.state().toString();
        } catch (IOException e) {
            return "unreadable: " + e.getMessage();
        }
    }

    /** Starts the unit in the role its state file names. */
    public static UnitDaemon start(UnitConfig config, MonotonicClock clock, Random random, FrontEndFactory frontEnds)
            throws IOException {
        CommonConfig c = config.common();
        RoleStateFile file;
        try {
            file = RoleStateFile.open(config.roleStateFile(), config.volumeId());
        } catch (RoleStateException e) {
            throw new RoleStateException(e.getMessage() + ". A new unit is set up with 'blockmirror unit init --role"
                    + " primary|secondary --config " + config.source() + "'");
        }
        UnitDaemon unit = null;
        try {
            UUID unitId = UnitIdentity.loadOrCreate(c.stateDir(), c.unitId(),
                    () -> new UUID(random.nextLong(), random.nextLong()));
            long bytes;
            try (FileVolume v = FileVolume.open(c.volumePath(), c.blockSize(), c.volumeSize(), c.volumeSize())) {
                bytes = v.sizeBytes();
            }
            AlertListener hook = AlertHook.of(c.alert());
            AlertCenter alerts = new AlertCenter("unit", c.volumeId(), clock, hook);
            unit = new UnitDaemon(config, clock, random, unitId, bytes, alerts, hook,
                    new VolumeRole(file, random, alerts));
            file = null;
            unit.startHalf(unit.role.state().role());
            if (config.frontEnd().enabled()) {
                unit.frontEnd = frontEnds.start(config.frontEnd(), c.volumeId(), unit.device);
            }
            UnitDaemon self = unit;
            unit.control = ControlServer.start(config.controlSocket(), self.commands());
            log.info("unit {} serving volume '{}' as {} ({})", unitId, c.volumeId(), unit.role.state().role(),
                    unit.role.state());
            return unit;
        } catch (IOException | RuntimeException e) {
            if (unit != null) {
                unit.close();
            } else if (file != null) {
                file.close();
            }
            throw e;
        }
    }

    private Map<String, ControlServer.Command> commands() {
        Map<String, ControlServer.Command> m = new LinkedHashMap<>();
        m.put("status", args -> status());
        m.put("volume", args -> { // fail-over (F12): the primary half's volume
            LocalDaemon l = primary;
            if (l == null) {
                throw new IOException("this unit is secondary: fail-over through the peer serves a primary's host");
            }
            return l.volumeCommand(args);
        });
        m.put("role-show", args -> show());
        m.put("role-reverse", args -> reverse(args.contains("wait")));
        m.put("role-promote", args -> args.contains("force") ? promoteForce() : promote());
        m.put("role-demote", args -> demote(args.contains("wait")));
        m.put("role-resolve", args -> {
            if (args.size() != 1 || !List.of("keep-local", "keep-peer").contains(args.get(0))) {
                throw new IllegalArgumentException("role-resolve needs exactly one of keep-local, keep-peer");
            }
            return resolve(args.get(0).equals("keep-local") ? Resolution.KEEP_LOCAL : Resolution.KEEP_PEER);
        });
        return m;
    }

    // ---------------------------------------------------------------- the two halves

    private void startHalf(Role r) throws IOException {
        synchronized (halves) {
            if (closed) {
                return;
            }
            if (r == Role.PRIMARY) {
                startPrimaryHalf();
            } else {
                startSecondaryHalf();
            }
        }
    }

    private void startPrimaryHalf() throws IOException {
        long admittedBefore = role.primarySessionsAdmitted();
        LocalDaemon l = LocalDaemon.start(config.primaryHalf(), clock, Clock.systemDefaultZone(), random, false,
                FrontEndFactory.UNAVAILABLE, new PrimaryGate());
        primary = l;
        // no session yet: for the generations the peer is gone (a crash may have left unsent records)
        role.startedWithoutPeer(admittedBefore, this::unacknowledged);
        // attached before anything slow: a peer that handed over waits for this half's first session
        // (awaitPeerServing), which needs a round trip and the peer's fsync of its adopted state
        device.attach(l.device());
        try {
            listener = RoleListener.start(config.listenAddress(), unitId, config.volumeId(), role, this::unacknowledged);
        } catch (IOException e) {
            device.detach();
            primary = null;
            l.close();
            throw e;
        }
        log.info("volume '{}': primary half running; the host's disk is ready", config.volumeId());
    }

    private void startSecondaryHalf() throws IOException {
        device.detach();
        secondary = RemoteDaemon.start(config.secondaryHalf(), clock, random, FrontEndFactory.UNAVAILABLE,
                new SecondaryGate());
        log.info("volume '{}': secondary half running; the host's disk is NOT READY", config.volumeId());
    }

    private void stopHalf() {
        synchronized (halves) {
            device.detach();
            if (listener != null) {
                listener.close();
                listener = null;
            }
            if (primary != null) {
                primary.close();
                primary = null;
            }
            if (secondary != null) {
                secondary.close();
                secondary = null;
            }
            role.forgetAdmission();
        }
    }

    /** Closes the running half and starts the one for {@code r}, over the same volume. */
    private void switchTo(Role r) throws IOException {
        synchronized (halves) {
            if (closed) {
                return;
            }
            log.info("volume '{}': switching to {}", config.volumeId(), r);
            stopHalf();
            startHalf(r);
        }
    }

    private boolean unacknowledged() {
        LocalDaemon l = primary;
        return (l != null && l.unacknowledgedRecords() > 0) || role.writesInFlight() > 0;
    }

    private void checkResync() {
        RemoteDaemon r = secondary;
        if (r != null) {
            role.resyncProgress(() -> r.syncState() == RemoteSyncState.CONSISTENT);
        }
    }

    /** The primary half's session admission. */
    private final class PrimaryGate implements Replicator.SessionGate {
        @Override
        public Generations offer(boolean journalCoversPeer) {
            return role.offer(journalCoversPeer);
        }

        @Override
        public void judge(Message answer) throws IOException {
            role.judge(answer, UnitDaemon.this::unacknowledged);
        }

        @Override
        public void sessionEnded(String reason) {
            role.linkLost(UnitDaemon.this::unacknowledged);
        }

        @Override
        public boolean peerNeedsFullResync() {
            return role.resyncingPeer();
        }

        @Override
        public void remirrorCompleted() {
            role.remirrorCompleted();
        }
    }

    /** The secondary half's role exchange. */
    private final class SecondaryGate implements RoleGate {
        @Override
        public Message onGenerations(long sessionId, Generations offer) {
            return role.answerAsSecondary(sessionId, offer, () -> {
                RemoteDaemon r = secondary;
                return r == null ? "the secondary half is still starting" : r.beginResync();
            });
        }

        @Override
        public boolean admits(long sessionId) {
            return role.admits(sessionId);
        }

        @Override
        public Reply onReverse(RoleReverse request) {
            return takeOver(request);
        }
    }

    // ---------------------------------------------------------------- role commands

    /** {@code role show}: role, generations, flags, write token, last decision. */
    public Map<String, Object> show() {
        GenerationState s = role.state();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("volumeId", config.volumeId());
        m.put("unitId", unitId.toString());
        m.put("role", s.role().name());
        m.put("currentGeneration", s.current().toString());
        m.put("agreedGeneration", s.agreed().toString());
        m.put("history", s.history().stream().map(Object::toString).toList());
        m.put("flags", s.flags().stream().map(Enum::name).sorted().toList());
        m.put("writeToken", role.mayAcceptWrites() ? "held" : "not held: " + role.notReadyReason());
        HandshakeDecision d = role.lastDecision();
        m.put("lastDecision", d == null ? null : Map.of("kind", d.kind().name(), "explanation", d.explanation()));
        m.put("hostDisk", device.isReady() ? "ready" : "NOT READY");
        return m;
    }

    /** {@code status}: the role and the running half's status. */
    public Map<String, Object> status() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("role", show());
        m.put("version", Version.current());
        LocalDaemon l = primary;
        RemoteDaemon r = secondary;
        m.put("half", l != null ? l.status() : r != null ? r.status() : null);
        m.put("frontEnd", frontEnd == null ? null : frontEnd.status());
        m.put("alerts", alerts.active());
        return m;
    }

    /**
     * {@code role reverse}: on the primary, with the journal drained (or draining, with
     * {@code wait}), stop host writes, persist the demotion, switch to SECONDARY, and ask the peer to
     * take over. A crash between the steps leaves two secondaries, never two primaries.
     */
    public Map<String, Object> reverse(boolean wait) throws Exception {
        requirePrimaryWithPeer("reverse");
        drainAndDemote(wait, "role reversal in progress: host writes are refused until the peer has taken over");
        Message answer;
        try {
            answer = PeerClient.request(config.peerAddress(), hello(), new RoleReverse(role.state()), PEER_TIMEOUT_MS);
        } catch (IOException e) {
            throw new IllegalStateException("this unit is now secondary, but the peer did not confirm the take-over ("
                    + e.getMessage() + "); if 'blockmirror role show' on the peer says it is secondary too, run"
                    + " 'blockmirror role promote' on the unit that should serve the host");
        }
        if (answer instanceof RoleReverseOk ok) {
            awaitPeerServing();
            log.info("role reversal of volume '{}' complete: the peer is primary ({})", config.volumeId(), ok.state());
            Map<String, Object> m = show();
            m.put("peer", ok.state().toString());
            return m;
        }
        String why = answer instanceof RoleReject r ? r.reason() + ": " + r.message() : "answered " + answer.frameType();
        throw new IllegalStateException("this unit is now secondary, but the peer refused to take over (" + why
                + "); both units are secondary: run 'blockmirror role promote' on the unit that should serve the host");
    }

    /**
     * The peer confirms a take-over before it switches halves (the confirmation travels on a
     * connection of the half it closes). It is done once the peer's primary half has a session
     * admitted here: that half attaches the host's disk before its first handshake can reach this
     * unit, so when {@code role reverse} returns the peer's disk answers the host.
     */
    private void awaitPeerServing() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(TAKE_OVER_TIMEOUT_MS);
        while (!role.admitsASession()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("this unit is now secondary and the peer confirmed the take-over,"
                        + " but its primary half has not connected within " + TAKE_OVER_TIMEOUT_MS + " ms; see"
                        + " 'blockmirror status' on the peer (its log says why its primary half did not start)");
            }
            Thread.sleep(10);
        }
    }

    /** {@code role demote}: stop serving the host, with the journal drained; the peer is not asked to take over. */
    public Map<String, Object> demote(boolean wait) throws Exception {
        if (!role.state().isPrimary()) {
            throw new IllegalStateException("this unit is already secondary for volume '" + config.volumeId() + "'");
        }
        drainAndDemote(wait, "demotion in progress: host writes are refused");
        return show();
    }

    private void requirePrimaryWithPeer(String what) {
        GenerationState s = role.state();
        if (!s.isPrimary()) {
            throw new IllegalStateException("cannot " + what + ": this unit is secondary for volume '"
                    + config.volumeId() + "'; run the command on the primary");
        }
        if (!role.token().mayAcceptWrites()) {
            throw new IllegalStateException("cannot " + what + ": " + role.token().refusalReason());
        }
        LocalDaemon l = primary;
        String phase = l == null ? "none" : l.status().replication().phase();
        HandshakeDecision d = role.lastDecision();
        if (!List.of("STREAMING", "REPLAYING").contains(phase) || d == null
                || d.kind() != HandshakeDecision.Kind.IN_SYNC_STREAM) {
            throw new IllegalStateException("cannot " + what + ": the peer is not connected and in sync (replication "
                    + phase + (d == null ? "" : ", last decision " + d.kind()) + ")");
        }
    }

    private void drainAndDemote(boolean wait, String quiesceReason) throws Exception {
        long pending = role.writesInFlight() + (primary == null ? 0 : primary.unacknowledgedRecords());
        if (!wait && pending > 0) {
            throw new IllegalStateException("the journal is not drained: " + pending + " write(s) not yet acknowledged"
                    + " by the peer; wait until the lag is 0 (blockmirror status) or use --wait, which stops host"
                    + " writes and waits for the drain");
        }
        role.quiesce(quiesceReason);
        try {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(wait ? DRAIN_TIMEOUT_MS : DRAIN_TIMEOUT_NO_WAIT_MS);
            while (unacknowledged()) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the journal did not drain within "
                            + (wait ? DRAIN_TIMEOUT_MS : DRAIN_TIMEOUT_NO_WAIT_MS) + " ms ("
                            + (primary == null ? 0 : primary.unacknowledgedRecords()) + " records not acknowledged);"
                            + " host writes are accepted again and the role is unchanged");
                }
                Thread.sleep(10);
            }
            role.update(s -> s.demote(false, random)); // persisted: from here on no host write is accepted
        } finally {
            role.quiesce(null);
        }
        switchTo(Role.SECONDARY);
    }

    /** The peer asked this (secondary) unit to take over. */
    private RoleGate.Reply takeOver(RoleReverse request) {
        try {
            requireEmptyJournal();
            role.update(s -> s.promote(request.state(), random));
        } catch (IOException | RuntimeException e) {
            log.warn("refusing to take over volume '{}': {}", config.volumeId(), e.getMessage());
            String msg = String.valueOf(e.getMessage());
            return new RoleGate.Reply(new RoleReject(RoleRejectReason.REVERSE_REFUSED, role.state(),
                    msg.length() > 1000 ? msg.substring(0, 1000) : msg), () -> { });
        }
        log.info("volume '{}': the peer handed over; this unit is primary now", config.volumeId());
        return new RoleGate.Reply(new RoleReverseOk(role.state()), () -> switcher.execute(this::becomePrimary));
    }

    private void becomePrimary() {
        try {
            switchTo(Role.PRIMARY);
        } catch (IOException | RuntimeException e) {
            log.error("volume '{}': cannot start the primary half: {}", config.volumeId(), e.getMessage());
        }
    }

    /**
     * {@code role promote} without --force: both units are secondary (e.g. a role reversal was
     * interrupted); the peer's state is fetched and must be in sync with this unit's.
     */
    public Map<String, Object> promote() throws Exception {
        GenerationState s = role.state();
        if (s.isPrimary()) {
            throw new IllegalStateException("this unit is already primary for volume '" + config.volumeId() + "'");
        }
        Message answer = PeerClient.request(config.peerAddress(), hello(), new Generations(0, s), PEER_TIMEOUT_MS);
        GenerationState peer = answer instanceof Generations g ? g.state()
                : answer instanceof RoleReject r ? r.state() : null;
        if (peer == null) {
            throw new IllegalStateException("the peer answered " + answer.frameType());
        }
        requireEmptyJournal();
        GenerationState promoted = role.update(st -> st.promote(peer, random));
        switchTo(promoted.role());
        return show();
    }

    /** {@code role promote --force}: the primary is gone; this unit starts a new generation and serves the host. */
    public Map<String, Object> promoteForce() throws Exception {
        if (role.state().isPrimary()) {
            throw new IllegalStateException("this unit is already primary for volume '" + config.volumeId() + "'");
        }
        requireEmptyJournal();
        role.update(s -> s.promoteForce(random));
        log.warn("volume '{}' promoted with --force: new generation {}; if the old primary is still running and"
                + " writing, this is a split brain (detected when the units meet again)", config.volumeId(),
                role.state().current());
        switchTo(Role.PRIMARY);
        return show();
    }

    /** {@code role resolve --keep-local | --keep-peer}: the administrator's choice of survivor. */
    public Map<String, Object> resolve(Resolution resolution) throws Exception {
        Role before = role.state().role();
        GenerationState after = role.update(s -> s.resolve(resolution, unacknowledged(), random));
        if (after.role() != before) {
            switchTo(after.role());
        }
        return show();
    }

    /**
     * A unit becoming primary must not hold journal records from an earlier time as primary: they
     * were written before this unit received the peer's data, and redoing them would overwrite it.
     */
    private void requireEmptyJournal() throws IOException {
        var p = config.primaryHalf();
        if (Files.notExists(p.journalPath()) || (Files.isRegularFile(p.journalPath()) && Files.size(p.journalPath()) == 0)) {
            return;
        }
        CommonConfig c = p.common();
        try (Journal j = Journal.open(p.journalPath(), JournalOptions.of(c.blockSize()).withLabel(c.volumeId())
                .withMaxRecordDataBytes(p.maxRecordBytes()), clock)) {
            JournalStats st = j.stats();
            if (st.recordCount() > 0) {
                throw new RoleTransitionException("the journal " + p.journalPath() + " still holds " + st.recordCount()
                        + " record(s) (seq " + st.tailSeq() + " to " + st.durableSeq() + ") from when this unit was"
                        + " last primary; its volume has the peer's data since, and redoing them would overwrite it."
                        + " They are the writes a split brain resolution discarded: format the journal before promoting");
            }
        }
    }

    private Hello hello() {
        return new Hello(org.blockmirror.protocol.FrameHeader.VERSION, unitId, config.volumeId(), volumeBytes, config.common().blockSize(), 0, random.nextLong(),
                0, 1, AckMode.ASYNC);
    }

    // ---------------------------------------------------------------- accessors

    /** The host's disk: the write pipeline while primary, NOT READY while secondary. */
    public BlockDevice device() {
        return device;
    }

    public GenerationState roleState() {
        return role.state();
    }

    public HandshakeDecision lastDecision() {
        return role.lastDecision();
    }

    public AlertCenter alerts() {
        return alerts;
    }

    /** The primary half while this unit is primary, else null. */
    public LocalDaemon primaryHalf() {
        return primary;
    }

    /** The secondary half while this unit is secondary, else null. */
    public RemoteDaemon secondaryHalf() {
        return secondary;
    }

    public UnitConfig config() {
        return config;
    }

    @Override
    public void close() {
        if (control != null) {
            control.close();
        }
        if (frontEnd != null) {
            try {
                frontEnd.close();
            } catch (Exception e) {
                log.warn("error while removing the front end: {}", e.toString());
            }
        }
        synchronized (halves) {
            stopHalf();
            closed = true;
        }
        switcher.shutdownNow();
        resyncWatch.shutdownNow();
        try {
            resyncWatch.awaitTermination(5, TimeUnit.SECONDS); // a check in progress may persist the role state
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            role.close();
        } catch (IOException e) {
            log.warn("error while closing the role state: {}", e.toString());
        }
        if (alertHook instanceof AutoCloseable c) {
            try {
                c.close();
            } catch (Exception e) {
                log.warn("error while stopping the alert hook: {}", e.toString());
            }
        }
        log.info("unit {} stopped", unitId);
    }
}
