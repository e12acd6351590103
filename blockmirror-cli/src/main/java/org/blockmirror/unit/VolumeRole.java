package org.blockmirror.unit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;
import java.util.random.RandomGenerator;
import org.blockmirror.alert.AlertCenter;
import org.blockmirror.alert.AlertKind;
import org.blockmirror.block.BlockDeviceException;
import org.blockmirror.protocol.Generations;
import org.blockmirror.protocol.Message;
import org.blockmirror.protocol.RoleReject;
import org.blockmirror.protocol.RoleRejectReason;
import org.blockmirror.role.GenerationState;
import org.blockmirror.role.HandshakeDecision;
import org.blockmirror.role.HandshakeDecision.ChangedBlocks;
import org.blockmirror.role.HandshakeDecision.Kind;
import org.blockmirror.role.HandshakeRules;
import org.blockmirror.role.Resolution;
import org.blockmirror.role.RoleStateFile;
import org.blockmirror.role.WriteToken;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One volume's role at run time (docs/roles.md §5): the persisted {@link GenerationState}, the
 * {@link WriteToken}, the handshake decisions of both sides of a session, and the role alerts.
 * Every transition is persisted ({@link RoleStateFile#update}) before the unit acts on it.
 *
 * <p>Host writes are admitted here, under the same monitor as the transitions, so that "are there
 * writes the peer lacks?" ({@link #linkLost}) always counts a write that was admitted but is not in
 * the journal yet.
 */
final class VolumeRole implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(VolumeRole.class);

    private final RoleStateFile file;
    private final WriteToken token;
    private final RandomGenerator random;
    private final AlertCenter alerts;
    /** Host writes admitted and not completed yet. */
    private final AtomicLong writesInFlight = new AtomicLong();
    /** Role reversal in progress: host writes are refused while the journal drains. */
    private volatile String quiesced;
    private volatile HandshakeDecision lastDecision;
    private volatile boolean detached;
    /** Sessions this primary's peer agreed to mirror. */
    private long primarySessionsAdmitted;
    /** The session the secondary admitted (its GENERATIONS was answered with agreement); null: none. */
    private volatile Long admittedSession;
    /** Secondary: the source's state of the exchange that made this unit a resync target; null: none. */
    private GenerationState resyncSource;
    /** Primary: the peer of the admitted session is a resync target (a remirror copies the blocks). */
    private boolean resyncingPeer;

    /** The secondary half's side of a resync by remirror (docs/roles.md §5.8). */
    interface ResyncTarget {
        /**
         * Before the first block: run the pre-hook, persist the copy as inconsistent.
         *
         * @return null, or why the resync may not start (nothing was written)
         */
        String begin() throws InterruptedException;
    }

    VolumeRole(RoleStateFile file, RandomGenerator random, AlertCenter alerts) {
        this.file = file;
        this.random = random;
        this.alerts = alerts;
        this.token = new WriteToken(file.state());
        refresh(file.state());
    }

    GenerationState state() {
        return file.state();
    }

    HandshakeDecision lastDecision() {
        return lastDecision;
    }

    WriteToken token() {
        return token;
    }

    /** Applies and persists a transition; updates the write token and the fence alert. */
    synchronized GenerationState update(UnaryOperator<GenerationState> transition) throws IOException {
        GenerationState before = file.state();
        GenerationState after = file.update(transition);
        if (!after.equals(before)) {
            log.info("role state of volume '{}': {} -> {}", file.volumeId(), before, after);
        }
        refresh(after);
        return after;
    }

    private void refresh(GenerationState s) {
        token.update(s);
        detached = s.has(GenerationState.Flag.DETACHED);
        alerts.set(AlertKind.WRITE_TOKEN_REVOKED, s.isPrimary() && s.has(GenerationState.Flag.FENCED),
                token.refusalReason() == null ? "" : token.refusalReason());
    }

    // ---------------------------------------------------------------- host writes

    /**
     * Admits one host write: refuses it (NOT READY) without the write token or during a role
     * reversal, and persists the new generation a DETACHED primary starts with its first write.
     * On success the caller must call {@link #writeDone} when the write completes.
     */
    BlockDeviceException admitWrite() {
        String q = quiesced;
        if (q != null) {
            return new BlockDeviceException(BlockDeviceException.Reason.NOT_READY, q);
        }
        synchronized (this) {
            if (!token.mayAcceptWrites()) {
                return new BlockDeviceException(BlockDeviceException.Reason.NOT_READY, token.refusalReason());
            }
            if (detached) {
                try {
                    update(s -> s.beforeHostWrite(random));
                } catch (IOException | RuntimeException e) {
                    return new BlockDeviceException(BlockDeviceException.Reason.IO_ERROR,
                            "cannot persist the new generation before the write: " + e.getMessage(), e);
                }
            }
            writesInFlight.incrementAndGet();
            return null;
        }
    }

    void writeDone() {
        writesInFlight.decrementAndGet();
    }

    long writesInFlight() {
        return writesInFlight.get();
    }

    /** Refuses host writes with {@code reason} (non-null) or accepts them again (null). */
    void quiesce(String reason) {
        quiesced = reason;
    }

    boolean mayAcceptWrites() {
        return quiesced == null && token.mayAcceptWrites();
    }

    String notReadyReason() {
        return quiesced != null ? quiesced : token.refusalReason();
    }

    // ---------------------------------------------------------------- the primary's side of a session

    /** The GENERATIONS this primary sends on connection 0. */
    Generations offer(boolean journalCoversPeer) {
        return new Generations(journalCoversPeer ? Generations.JOURNAL_COVERS_PEER : 0, state());
    }

    /**
     * Judges the secondary's answer. GENERATIONS: the secondary agreed (and adopted this unit's
     * generation if it was behind); both are in sync now. ROLE_REJECT: apply what it says about the
     * peer (fencing), count the refusal as a lost peer, raise the alert, refuse the session.
     */
    synchronized void judge(Message answer, BooleanSupplier unacknowledgedWrites) throws IOException {
        if (answer instanceof Generations g) {
            GenerationState peer = g.state();
            update(s -> s.observePeer(peer));
            HandshakeDecision d = HandshakeRules.decide(state(), peer);
            lastDecision = d;
            resyncingPeer = false;
            if (isResyncByRemirror(d, peer)) {
                // the peer persisted INCONSISTENT: a remirror of every block follows; this unit gets
                // in sync with it when the remirror completes (remirrorCompleted)
                log.warn("the peer is a resync target ({}): {}", d.kind(), d.explanation());
                resyncingPeer = true;
                primarySessionsAdmitted++;
                clearRefusalAlerts();
                return;
            }
            if (d.kind() != Kind.IN_SYNC_STREAM) {
                update(s -> s.linkLost(unacknowledgedWrites.getAsBoolean(), random));
                throw new IOException("the peer agreed to mirror, but this unit decides " + d.kind() + ": "
                        + d.explanation());
            }
            update(GenerationState::inSyncWithPeer);
            primarySessionsAdmitted++;
            clearRefusalAlerts();
            return;
        }
        if (answer instanceof RoleReject r) {
            refused(r.state(), r.reason(), r.message(), unacknowledgedWrites);
            throw new IOException("the peer refuses to mirror (" + r.reason() + "): " + r.message());
        }
        throw new IOException("the peer answered GENERATIONS with " + answer.frameType());
    }

    private static boolean isResyncByRemirror(HandshakeDecision d, GenerationState peer) {
        return peer.has(GenerationState.Flag.INCONSISTENT)
                && d.direction() == HandshakeDecision.Direction.LOCAL_TO_PEER
                && (d.kind() == Kind.RESYNC_LOCAL_TO_PEER || d.kind() == Kind.INITIAL_SYNC);
    }

    /** Primary: whether the admitted session's peer is a resync target. */
    synchronized boolean resyncingPeer() {
        return resyncingPeer;
    }

    /**
     * Primary: the remirror before the stream completed. If it was a resync of the peer, the peer
     * now holds this unit's data (it completes its side when its copy is consistent): in sync.
     */
    synchronized void remirrorCompleted() {
        if (!resyncingPeer) {
            return;
        }
        resyncingPeer = false;
        try {
            update(GenerationState::inSyncWithPeer);
            log.info("resync of the peer by remirror completed");
        } catch (IOException e) {
            // the next exchange finds the peer at this generation (IN_SYNC_STREAM) and persists it then
            log.error("cannot persist the role state after the peer's resync: {}", e.getMessage());
        }
    }

    /** A primary whose session ended (or that starts without one): the peer is gone for now. */
    synchronized void linkLost(BooleanSupplier unacknowledgedWrites) {
        try {
            update(s -> s.linkLost(unacknowledgedWrites.getAsBoolean() || writesInFlight.get() > 0, random));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot persist the role state after losing the peer", e);
        }
    }

    synchronized long primarySessionsAdmitted() {
        return primarySessionsAdmitted;
    }

    /**
     * The primary half started: until a session is admitted, the peer counts as lost (records a
     * crash left unsent start a new generation at once). Skipped if a session was admitted meanwhile.
     */
    synchronized void startedWithoutPeer(long admittedBefore, BooleanSupplier unacknowledgedWrites) {
        if (primarySessionsAdmitted == admittedBefore) {
            linkLost(unacknowledgedWrites);
        }
    }

    /**
     * This unit is primary and another primary connected to it (both run {@link RoleListener}):
     * always a refusal (BOTH_PRIMARY, STALE_PRIMARY, SPLIT_BRAIN …); the state it announced is
     * observed (it may fence this unit).
     */
    synchronized RoleReject answerAsPrimary(Generations peerOffer, BooleanSupplier unacknowledgedWrites) {
        GenerationState peer = peerOffer.state();
        if (!peer.isPrimary()) {
            // a secondary asking for this unit's state (role promote): no session, nothing to decide here
            return new RoleReject(RoleRejectReason.REVERSE_REFUSED, state(), "this unit is primary");
        }
        HandshakeDecision d = HandshakeRules.decide(state(), peer);
        RoleRejectReason reason = d.kind().isRefusal() ? reasonFor(d.kind()) : RoleRejectReason.BOTH_PRIMARY;
        String why = d.kind().isRefusal() ? d.explanation()
                : "this unit is primary too: demote one of them (" + d.kind() + ")";
        try {
            refused(peer, reason, why, unacknowledgedWrites);
        } catch (IOException e) {
            log.error("cannot persist the role state: {}", e.getMessage());
        }
        return new RoleReject(reason, state(), why);
    }

    private void refused(GenerationState peer, RoleRejectReason reason, String message,
                         BooleanSupplier unacknowledgedWrites) throws IOException {
        update(s -> s.observePeer(peer));
        update(s -> s.linkLost(unacknowledgedWrites.getAsBoolean() || writesInFlight.get() > 0, random));
        lastDecision = HandshakeRules.decide(state(), peer);
        raise(reason, message);
    }

    // ---------------------------------------------------------------- the secondary's side of a session

    /**
     * The secondary's answer to the primary's GENERATIONS: a ROLE_REJECT for every refusal kind;
     * otherwise GENERATIONS, after persisting the adopted generation when this unit was behind and
     * changed nothing (the journal replay that follows brings its data there, like ordinary
     * replication lag), or — for any other resync towards it — after {@code target} ran the pre-hook
     * and marked the copy inconsistent and this unit persisted INCONSISTENT + DISCARD_LOCAL: the
     * primary then remirrors (docs/roles.md §5.8). A failing pre-hook is refused (RESYNC_UNAVAILABLE).
     */
    synchronized Message answerAsSecondary(long sessionId, Generations primary, ResyncTarget target) {
        GenerationState peer = primary.state();
        try {
            update(s -> s.observePeer(peer));
            GenerationState me = state();
            HandshakeDecision d = HandshakeRules.decide(me, peer);
            lastDecision = d;
            if (me.isPrimary()) { // cannot happen: a primary runs no receiver; refuse all the same
                return reject(RoleRejectReason.BOTH_PRIMARY, "this unit is primary");
            }
            if (d.kind().isRefusal()) {
                admittedSession = null;
                raise(reasonFor(d.kind()), d.explanation());
                return new RoleReject(reasonFor(d.kind()), me, d.explanation());
            }
            switch (d.kind()) {
                case IN_SYNC_STREAM -> update(GenerationState::inSyncWithPeer);
                case RESYNC_PEER_TO_LOCAL, INITIAL_SYNC -> {
                    if (d.direction() != HandshakeDecision.Direction.PEER_TO_LOCAL) {
                        return reject(RoleRejectReason.STALE_PRIMARY, d.explanation());
                    }
                    // an incomplete resync target's volume mixes two generations: only a remirror fixes it
                    boolean unchangedHere = !me.has(GenerationState.Flag.INCONSISTENT)
                            && (d.kind() == Kind.INITIAL_SYNC || d.changedBlocksOf(me) == ChangedBlocks.NOTHING);
                    if (primary.journalCoversPeer() && unchangedHere) {
                        update(s -> s.syncedFrom(peer)); // the journal replay is the resync
                    } else {
                        String refused = target.begin();
                        if (refused != null) {
                            return reject(RoleRejectReason.RESYNC_UNAVAILABLE, d.kind() + ": " + d.explanation()
                                    + "; " + refused);
                        }
                        // DISCARD_LOCAL too: until the copy completes, every exchange keeps the peer the source
                        update(s -> s.resolve(Resolution.KEEP_PEER, false, random).resyncStarted());
                        resyncSource = peer;
                        log.warn("this unit is a resync target ({}): {}; {}", d.kind(), d.explanation(),
                                unchangedHere ? "the primary's journal no longer holds every record it lacks"
                                        : "its own changes are overwritten block by block");
                    }
                }
                default -> {
                    return reject(RoleRejectReason.RESYNC_UNAVAILABLE, d.kind() + ": " + d.explanation());
                }
            }
            admittedSession = sessionId;
            clearRefusalAlerts();
            return new Generations(0, state());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return reject(RoleRejectReason.NO_USABLE_SOURCE, "interrupted while preparing the resync");
        } catch (IOException | RuntimeException e) {
            log.error("role exchange failed: {}", e.toString());
            return reject(RoleRejectReason.NO_USABLE_SOURCE, "this unit cannot decide or persist its role state: "
                    + e.getMessage());
        }
    }

    /**
     * Secondary: completes a resync by remirror once the copy is consistent again (the remirror
     * ended and the stream reached its consistent-at seq): persists {@code syncedFrom(source)}.
     * {@code copyConsistent} is evaluated under this monitor, so it cannot see the copy's state
     * from before the exchange that started the resync.
     */
    synchronized void resyncProgress(BooleanSupplier copyConsistent) {
        GenerationState source = resyncSource;
        if (source == null || state().isPrimary() || !state().has(GenerationState.Flag.INCONSISTENT)
                || !copyConsistent.getAsBoolean()) {
            return;
        }
        try {
            update(s -> s.syncedFrom(source));
            resyncSource = null;
            log.info("resync by remirror completed: this unit holds the peer's generation {}", source.current());
        } catch (IOException | RuntimeException e) {
            log.error("cannot persist the end of the resync: {}", e.getMessage());
        }
    }

    /** Secondary: a resync into this unit started and has not completed. */
    synchronized boolean resyncing() {
        return resyncSource != null;
    }

    private RoleReject reject(RoleRejectReason reason, String message) {
        admittedSession = null;
        String text = message.length() > 1000 ? message.substring(0, 1000) : message;
        raise(reason, text);
        return new RoleReject(reason, state(), text);
    }

    boolean admits(long sessionId) {
        Long s = admittedSession;
        return s != null && s == sessionId;
    }

    /** Secondary: a session of the peer is admitted (the peer runs as primary and mirrors to this unit). */
    boolean admitsASession() {
        return admittedSession != null;
    }

    void forgetAdmission() {
        admittedSession = null;
    }

    // ---------------------------------------------------------------- alerts

    private void raise(RoleRejectReason reason, String message) {
        if (reason == RoleRejectReason.SPLIT_BRAIN) {
            alerts.raise(AlertKind.SPLIT_BRAIN, message
                    + " — nothing is mirrored; choose the survivor with 'blockmirror role resolve'");
        } else {
            alerts.raise(AlertKind.ROLE_CONFLICT, reason + ": " + message);
        }
    }

    void clearRefusalAlerts() {
        alerts.clear(AlertKind.SPLIT_BRAIN);
        alerts.clear(AlertKind.ROLE_CONFLICT);
    }

    static RoleRejectReason reasonFor(Kind kind) {
        return switch (kind) {
            case BOTH_PRIMARY -> RoleRejectReason.BOTH_PRIMARY;
            case STALE_PRIMARY -> RoleRejectReason.STALE_PRIMARY;
            case SPLIT_BRAIN -> RoleRejectReason.SPLIT_BRAIN;
            case UNRELATED_DATA -> RoleRejectReason.UNRELATED_DATA;
            case NO_USABLE_SOURCE -> RoleRejectReason.NO_USABLE_SOURCE;
            default -> throw new IllegalArgumentException(kind + " is not a refusal");
        };
    }

    @Override
    public void close() throws IOException {
        file.close();
    }
}
