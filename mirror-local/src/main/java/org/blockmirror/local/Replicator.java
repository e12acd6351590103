package org.blockmirror.local;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.SocketChannel;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;
import org.blockmirror.heartbeat.ConnectionArray;
import org.blockmirror.heartbeat.LinkListener;
import org.blockmirror.heartbeat.MirrorConnection;
import org.blockmirror.heartbeat.LinkState;
import org.blockmirror.journal.Journal;
import org.blockmirror.journal.JournalReader;
import org.blockmirror.journal.JournalRecord;
import org.blockmirror.protocol.FrameDecoder;
import org.blockmirror.protocol.FrameEncoder;
import org.blockmirror.protocol.Generations;
import org.blockmirror.protocol.Hello;
import org.blockmirror.protocol.HelloOk;
import org.blockmirror.protocol.Message;
import org.blockmirror.protocol.Nak;
import org.blockmirror.protocol.ReadData;
import org.blockmirror.protocol.ProtocolErrorHandler;
import org.blockmirror.protocol.RecordType;
import org.blockmirror.protocol.RejectReason;
import org.blockmirror.protocol.Verdict;
import org.blockmirror.protocol.Verify;
import org.blockmirror.protocol.Write;
import org.blockmirror.schedule.SendSchedule;
import org.blockmirror.transport.NettyTransport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Streams the journal to the remote over n connections, in sequence order, forever.
 *
 * <p>One thread runs the loop: wait until the heartbeat link is UP, open a
 * {@link ReplicationSession} (n connections, a HELLO on each), learn from the remote what it
 * has applied, then send every journal record after that, round robin over the connections,
 * keeping at most the window's worth of bytes unacknowledged. ACKs free journal space. When
 * anything fails — a connection, a NAK, the heartbeat — the session ends and a new one starts
 * after the back-off, resending from what the remote has applied (the seed's replay). The
 * journal is the queue: nothing is held in memory that is not also on disk. ACKs go to the
 * {@link WritePipeline}, which frees journal space (only once the local volume has the
 * records as well).
 */
public final class Replicator implements LinkListener, AutoCloseable {

    /** What the replicator needs to know about the connection to the remote. */
    public record Settings(InetSocketAddress remote, int connections, long windowBytes, long reconnectBackoffMs,
                           long handshakeTimeoutMs, int maxFrameBytes, long sendCoalesceMicros) {

        /** Without a send-coalescing window: every record goes as soon as it is durable. */
        public Settings(InetSocketAddress remote, int connections, long windowBytes, long reconnectBackoffMs,
                        long handshakeTimeoutMs, int maxFrameBytes) {
            this(remote, connections, windowBytes, reconnectBackoffMs, handshakeTimeoutMs, maxFrameBytes, 0);
        }
    }

    /** How this unit introduces itself in HELLO. */
    public record Identity(UUID unitId, String volumeId, long volumeSizeBytes, int blockSize,
                           org.blockmirror.protocol.AckMode ackMode) {
    }

    /**
     * Admission of each session by the unit's role logic (docs/roles.md §5): called on the
     * replicator thread after every HELLO_OK and before any WRITE. Null: every session is admitted.
     */
    public interface SessionGate {
        /**
         * The GENERATIONS frame to send on connection 0.
         *
         * @param journalCoversPeer the journal holds every record after the peer's applied seq
         */
        Generations offer(boolean journalCoversPeer);

        /** Judges the peer's answer (GENERATIONS or ROLE_REJECT); throws to refuse the session. */
        void judge(Message answer) throws IOException;

        /** An admitted session ended (link lost, error, shutdown). */
        void sessionEnded(String reason);

        /**
         * Asked after {@link #judge} admitted the session: the peer is a resync target (its role
         * exchange persisted INCONSISTENT), so a remirror compares every block before the stream.
         */
        default boolean peerNeedsFullResync() {
            return false;
        }

        /** The remirror that ran before this session's stream completed (REMIRROR_DONE acknowledged). */
        default void remirrorCompleted() {
        }
    }

    /** Where the replicator is, for status and logs. */
    public enum Phase { WAITING_FOR_LINK, CONNECTING, REMIRRORING, REPLAYING, STREAMING, PAUSED_BY_SCHEDULE,
        PAUSED_BY_OPERATOR, BACKING_OFF, STOPPED }

    private static final Logger log = LoggerFactory.getLogger(Replicator.class);
    private static final int FLUSH_EVERY = 64;
    private static final long MAX_BACKOFF_MS = 30_000;
    private static final long NOT_READY_RETRY_MS = 200;

    private final Journal journal;
    private final WritePipeline pipeline;
    private final Settings settings;
    private final Identity identity;
    private final EventLoopGroup group;
    private final LongSupplier sessionIds;
    /** The seed's connection array: the heartbeat closes every registered connection on DOWN. */
    private final ConnectionArray connectionArray;
    /** Send windows and rate limit (SPEC F24): the journal absorbs what they hold back. */
    private final SendSchedule schedule;
    /** Record data is read into these and sent from them without a copy. */
    private final RecordBuffers recordBuffers = new RecordBuffers(ByteBufAllocator.DEFAULT);
    /** Verified ack mode: what the remote must report for each record in flight, and resends. */
    private final boolean verifying;
    private final VerifyTracker verification = new VerifyTracker();
    /** Resent records are read into these (the stream may hold an untaken record buffer meanwhile). */
    private final RecordBuffers resendBuffers = new RecordBuffers(ByteBufAllocator.DEFAULT);
    private volatile RemirrorPhase remirror;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private boolean linkUp;
    private boolean closed;
    /** When the last burst after an idle spell left ({@link #pace}); replicator thread only. */
    private long lastBurstNanos = System.nanoTime() - TimeUnit.HOURS.toNanos(1);
    private ReplicationSession session;
    /** Bytes and sequence numbers sent but not yet acknowledged, oldest first. */
    private final ArrayDeque<long[]> inflight = new ArrayDeque<>();
    private long inflightBytes;
    private long ackedSeq;

    private final Thread thread;
    private volatile SessionGate gate;
    private volatile Phase phase = Phase.WAITING_FOR_LINK;
    private volatile java.util.function.Consumer<ReadData> readAnswers;
    private volatile long sentSeq;
    private volatile String lastError;
    /** The operator stopped sending ({@code blockmirror queue stop-send}): records are held, the session stays. */
    private volatile boolean sendingStopped;
    private final AtomicLong blocksSent = new AtomicLong();
    private final AtomicLong blocksAcked = new AtomicLong();
    private final AtomicLong sessionsOpened = new AtomicLong();
    private final AtomicLong naks = new AtomicLong();
    /** Set once the remote found a CRC mismatch: from then on journal reads check the data here too. */
    private volatile boolean verifyJournalReads;

    /**
     * @param sessionIds source of session ids (random in production; injectable for tests)
     */
    public Replicator(Journal journal, WritePipeline pipeline, Settings settings, Identity identity,
                      EventLoopGroup group, LongSupplier sessionIds, ConnectionArray connectionArray) {
        this(journal, pipeline, settings, identity, group, sessionIds, connectionArray, SendSchedule.unlimited());
    }

    /**
     * @param sessionIds source of session ids (random in production; injectable for tests)
     * @param schedule   when records may be sent and how fast
     */
    public Replicator(Journal journal, WritePipeline pipeline, Settings settings, Identity identity,
                      EventLoopGroup group, LongSupplier sessionIds, ConnectionArray connectionArray,
                      SendSchedule schedule) {
        this.schedule = schedule;
        this.journal = journal;
        this.pipeline = pipeline;
        this.settings = settings;
        this.identity = identity;
        this.group = group;
        this.sessionIds = sessionIds;
        this.connectionArray = connectionArray;
        this.ackedSeq = journal.tailSeq() - 1;
        this.verifying = identity.ackMode() == org.blockmirror.protocol.AckMode.VERIFIED;
        this.thread = new Thread(this::run, "replicator");
        this.thread.setDaemon(true);
    }

    public void start() {
        thread.start();
    }

    /** Installs the role logic's session admission; call before {@link #start}. */
    public void setSessionGate(SessionGate gate) {
        this.gate = gate;
    }

    // ---- heartbeat link ----

    /** Called on the heartbeat thread: must not block. */
    @Override
    public void onTransition(LinkState from, LinkState to, String reason) {
        lock.lock();
        try {
            linkUp = to == LinkState.UP;
            if (!linkUp && session != null) {
                session.end("link " + to + ": " + reason);
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    // ---- main loop ----

    private void run() {
        long backoff = settings.reconnectBackoffMs();
        while (true) {
            lock.lock();
            try {
                phase = Phase.WAITING_FOR_LINK;
                while (!closed && !linkUp) {
                    changed.awaitUninterruptibly();
                }
                if (closed) {
                    break;
                }
            } finally {
                lock.unlock();
            }
            phase = Phase.CONNECTING;
            ReplicationSession s;
            try {
                s = openSession();
            } catch (IOException e) {
                reportError("cannot open a session to " + remoteName() + ": " + e.getMessage());
                phase = Phase.BACKING_OFF;
                if (e instanceof RemoteRefusedException r && r.reason() == RejectReason.NOT_READY) {
                    // The remote's probation ends within about one heartbeat interval of ours:
                    // retry soon and without growing the back-off.
                    sleep(Math.min(backoff, NOT_READY_RETRY_MS));
                } else {
                    sleep(backoff);
                    backoff = Math.min(MAX_BACKOFF_MS, backoff * 2);
                }
                continue;
            }
            backoff = settings.reconnectBackoffMs();
            try {
                remirrorIfNeeded(s);
                while (stream(s)) { // bitmap mode began while streaming: remirror on this session, then go on
                    s.remoteAppliedAtStart = ackedSeq();
                    remirrorIfNeeded(s);
                }
            } catch (IOException e) {
                s.end("journal: " + e.getMessage());
                reportError("replication stopped: " + e.getMessage());
            }
            log.info("session {} to {} ended: {}", Long.toHexString(s.id), remoteName(), s.endReason());
            endSession(s);
            if (gate != null) {
                gate.sessionEnded(s.endReason());
            }
            phase = Phase.BACKING_OFF;
            sleep(settings.reconnectBackoffMs());
        }
        phase = Phase.STOPPED;
    }

    /** Set by the daemon when the pipeline has a dirty map: remirror before streaming when needed. */
    public void setRemirror(RemirrorPhase remirror) {
        this.remirror = remirror;
    }

    /** Remirror progress, or null when this replicator does no remirror. */
    public RemirrorSource.Progress remirrorProgress() {
        RemirrorPhase r = remirror;
        return r == null ? null : r.source().progress();
    }

    /** A remirror first, if the remote needs one (SPEC F8); the stream then continues after it. */
    private void remirrorIfNeeded(ReplicationSession s) throws IOException {
        RemirrorPhase r = remirror;
        if (r == null) {
            return;
        }
        lock.lock();
        try {
            if (!linkUp || closed) {
                return; // stream() ends the session
            }
            session = s; // so a link going down ends the remirror too
        } finally {
            lock.unlock();
        }
        try {
            r.runIfNeeded(s, () -> {
                if (sendingStopped && phase != Phase.PAUSED_BY_OPERATOR) {
                    phase = Phase.PAUSED_BY_OPERATOR;
                }
                return sendingStopped && !closed;
            }, () -> {
                phase = Phase.REMIRRORING;
                log.info("remirror before streaming (session {})", Long.toHexString(s.id));
            }, (bytes, beforeWaiting) -> paceRemirror(s, bytes, beforeWaiting))
                    .ifPresent(applied -> {
                        s.remoteAppliedAtStart = applied;
                        if (gate != null) {
                            gate.remirrorCompleted();
                        }
                    });
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted during remirror");
        }
    }

    /** The send schedule holds remirror frames as it holds records (SPEC F24); blackout shows as paused. */
    private void paceRemirror(ReplicationSession s, long bytes, Runnable beforeWaiting) throws InterruptedException {
        long wait = schedule.permit(bytes);
        if (wait == 0) {
            return;
        }
        beforeWaiting.run();
        while (s.isOpen() && !closed && (wait = schedule.permit(bytes)) > 0) {
            phase = schedule.inBlackout() ? Phase.PAUSED_BY_SCHEDULE : Phase.REMIRRORING;
            TimeUnit.NANOSECONDS.sleep(Math.min(wait, SendSchedule.BLACKOUT_RECHECK_NANOS));
        }
        phase = Phase.REMIRRORING;
    }

    private void reportError(String message) {
        if (!message.equals(lastError)) {
            log.warn(message);
        }
        lastError = message;
    }

    private void sleep(long millis) {
        lock.lock();
        try {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
            long left;
            while (!closed && (left = deadline - System.nanoTime()) > 0) {
                changed.awaitNanos(left);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            lock.unlock();
        }
    }

    private ReplicationSession openSession() throws IOException {
        long id = sessionIds.getAsLong();
        int n = settings.connections();
        List<Channel> channels = new ArrayList<>(n);
        List<SessionHandler> handlers = new ArrayList<>(n);
        SessionEvents events = new SessionEvents();
        try {
            for (int i = 0; i < n; i++) {
                Hello hello = new Hello(org.blockmirror.protocol.FrameHeader.VERSION, identity.unitId(), identity.volumeId(), identity.volumeSizeBytes(),
                        identity.blockSize(), 0, id, i, n, identity.ackMode());
                SessionHandler handler = new SessionHandler(hello, events);
                handlers.add(handler);
                ChannelFuture connect = bootstrap(handler).connect(resolved(settings.remote()));
                channels.add(connect.channel());
                if (!connect.awaitUninterruptibly(settings.handshakeTimeoutMs()) || !connect.isSuccess()) {
                    Throwable cause = connect.cause();
                    throw new IOException("connection " + i + ": "
                            + (cause == null ? "timed out" : Objects.toString(cause.getMessage(), cause.toString())));
                }
            }
            long applied = Long.MAX_VALUE;
            long window = settings.windowBytes();
            for (SessionHandler h : handlers) {
                HelloOk ok = h.handshake.get(settings.handshakeTimeoutMs(), TimeUnit.MILLISECONDS);
                applied = Math.min(applied, ok.appliedSeq());
                window = Math.min(window, ok.reorderWindowBytes());
            }
            ReplicationSession s = new ReplicationSession(id, channels, applied, Math.max(window, 1));
            s.remoteSyncState = handlers.get(0).handshake.get().syncState();
            events.session = s;
            for (int i = 0; i < n; i++) {
                MirrorConnection conn = MirrorConnection.of(channels.get(i));
                if (!connectionArray.register(i, conn)) {
                    unregister(s);
                    throw new IOException("the heartbeat link went down during the handshake");
                }
                s.registered.add(conn);
            }
            if (gate != null) {
                admit(s, handlers.get(0));
            }
            return s;
        } catch (ExecutionException e) {
            channels.forEach(Channel::close);
            Throwable c = e.getCause();
            throw c instanceof IOException io ? io : new IOException(c.getMessage(), c);
        } catch (TimeoutException e) {
            channels.forEach(Channel::close);
            throw new IOException("no answer to HELLO within " + settings.handshakeTimeoutMs() + " ms");
        } catch (InterruptedException e) {
            channels.forEach(Channel::close);
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        } catch (IOException | RuntimeException e) {
            channels.forEach(Channel::close);
            throw e;
        }
    }

    /** The role exchange on connection 0 (GENERATIONS, answered by GENERATIONS or ROLE_REJECT). */
    private void admit(ReplicationSession s, SessionHandler first) throws IOException {
        long from = s.remoteAppliedAtStart + 1;
        boolean covers = from >= journal.tailSeq() && from <= journal.nextSeq();
        try {
            s.channels.get(0).writeAndFlush(gate.offer(covers));
            gate.judge(first.roleAnswer.get(settings.handshakeTimeoutMs(), TimeUnit.MILLISECONDS));
            if (gate.peerNeedsFullResync()) {
                if (remirror == null || !pipeline.hasDirtyMap()) {
                    throw new IOException("the peer is a resync target, but this unit has no dirty map to remirror"
                            + " with");
                }
                s.compareWholeVolume = true;
            }
        } catch (ExecutionException | TimeoutException | InterruptedException | IOException | RuntimeException e) {
            unregister(s);
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw e instanceof IOException io ? io : new IOException(e instanceof TimeoutException
                    ? "no answer to GENERATIONS within " + settings.handshakeTimeoutMs() + " ms"
                    : String.valueOf(e.getCause() != null ? e.getCause().getMessage() : e.getMessage()), e);
        }
    }

    private String remoteName() {
        return settings.remote().getHostString() + ":" + settings.remote().getPort();
    }

    private static InetSocketAddress resolved(InetSocketAddress a) {
        return a.isUnresolved() ? new InetSocketAddress(a.getHostString(), a.getPort()) : a;
    }

    private Bootstrap bootstrap(SessionHandler handler) {
        return new Bootstrap().group(group).channel(NettyTransport.of(group).socketChannel())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) settings.handshakeTimeoutMs())
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(1 << 20, 4 << 20))
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast("decoder", new FrameDecoder(settings.maxFrameBytes(), identity.blockSize())
                                        .expectAckMode(identity.ackMode()))
                                .addLast("encoder", new FrameEncoder())
                                .addLast("session", handler)
                                .addLast("errors", ProtocolErrorHandler.forClient());
                    }
                });
    }

    /**
     * Sends journal records from the remote's applied sequence onwards until the session ends.
     *
     * @return true if it stopped because the dirty map has marks and everything sent is
     *     acknowledged: the caller runs a remirror and streams again
     */
    private boolean stream(ReplicationSession s) throws IOException {
        long from = s.remoteAppliedAtStart + 1;
        long tail = journal.tailSeq();
        long next = journal.nextSeq();
        if (from < tail) {
            s.end("remote is behind the journal");
            throw new IOException("the remote has applied only up to seq " + s.remoteAppliedAtStart
                    + " but the journal starts at seq " + tail + ": the remote needs a full resync");
        }
        if (from > next) {
            s.end("remote is ahead of the journal");
            throw new IOException("the remote has applied seq " + s.remoteAppliedAtStart
                    + " beyond this journal's newest seq " + (next - 1) + ": was the journal replaced?");
        }
        lock.lock();
        try {
            if (!linkUp || closed) {
                s.end(closed ? "shutting down" : "link went down during the handshake");
                return false;
            }
            session = s;
            inflight.clear();
            inflightBytes = 0;
            ackedSeq = Math.max(ackedSeq, s.remoteAppliedAtStart);
        } finally {
            lock.unlock();
        }
        if (!s.streamed) {
            s.streamed = true;
            sessionsOpened.incrementAndGet();
        }
        lastError = null;
        onAcked(s.remoteAppliedAtStart);
        long backlog = journal.durableSeq() - s.remoteAppliedAtStart;
        log.info("connected to remote {} ({} connections, session {}); remote has applied seq {}",
                remoteName(), s.channels.size(), Long.toHexString(s.id), s.remoteAppliedAtStart);
        boolean replaying = backlog > 0;
        // the replay is over once the remote has what the journal held when the session began:
        // waiting for "nothing in flight" instead never ends under a steady stream of writes
        long replayTarget = journal.durableSeq();
        if (replaying) {
            log.info("replaying {} journal records from seq {}", backlog, from);
            phase = Phase.REPLAYING;
        } else {
            phase = Phase.STREAMING;
        }
        JournalReader reader = journal.reader(from);
        if (!verifyJournalReads) {
            // the remote checks every WRITE's data against the record's CRC32C before applying it
            reader.trustingOwnAppends();
        }
        int unflushed = 0;
        while (s.isOpen()) {
            if (verifying && !resendRejected(s)) {
                break;
            }
            JournalRecord rec = reader.next(recordBuffers);
            if (rec == null) {
                if (unflushed > 0) {
                    s.channels.forEach(Channel::flush);
                    unflushed = 0;
                }
                if (sendingStopped) {
                    phase = Phase.PAUSED_BY_OPERATOR;
                } else if (phase == Phase.PAUSED_BY_OPERATOR) {
                    phase = replaying ? Phase.REPLAYING : Phase.STREAMING;
                }
                if (replaying && caughtUp(s, replayTarget)) {
                    replaying = false;
                    phase = Phase.STREAMING;
                    log.info("caught up: remote has applied seq {}", ackedSeq());
                }
                if (remirrorWanted(s)) {
                    return true;
                }
                awaitDurable(reader.nextSeq());
                pace(reader.nextSeq());
                continue;
            }
            rec = pipeline.sendable(rec, recordBuffers); // COMPACT / PRESERVED: see CompactSendData
            if (!awaitWindow(s, rec.data().remaining())) {
                break;
            }
            Channel ch = s.channelFor(rec.seq());
            if (!awaitWritable(s, ch)) {
                break;
            }
            if (!awaitOperator(s, replaying ? Phase.REPLAYING : Phase.STREAMING)) {
                break;
            }
            if (!awaitSchedule(s, rec.data().remaining())) {
                break;
            }
            sendRecord(s, ch, rec);
            if (++unflushed >= FLUSH_EVERY) {
                s.channels.forEach(Channel::flush);
                unflushed = 0;
            }
        }
        return false;
    }

    /** The dirty map has marks (bitmap mode, a flush) and the remote has everything sent: time to remirror. */
    private boolean remirrorWanted(ReplicationSession s) {
        return remirror != null && !sendingStopped && pipeline.hasDirtyMap() && !pipeline.dirtyMap().isEmpty()
                && allAcknowledged(s);
    }

    private void sendRecord(ReplicationSession s, Channel ch, JournalRecord rec) {
        Write write = writeOf(rec, recordBuffers);
        if (verifying) {
            verification.sent(rec.seq(), write.dataCrc32c()); // before the VERIFY can come back
        }
        lock.lock();
        try {
            inflight.add(new long[] {rec.seq(), rec.data().remaining(), rec.blockCount()});
            inflightBytes += rec.data().remaining();
        } finally {
            lock.unlock();
        }
        sentSeq = rec.seq();
        blocksSent.addAndGet(rec.blockCount());
        ch.write(write).addListener(f -> {
            if (!f.isSuccess()) {
                s.end("send on connection failed: " + f.cause());
            }
        });
    }

    private static Write writeOf(JournalRecord rec, RecordBuffers buffers) {
        return new Write(rec.seq(), rec.timestampMillis(),
                isTrim(rec) ? RecordType.TRIM : RecordType.WRITE, rec.lba(), rec.blockCount(), rec.dataCrc32c(),
                isTrim(rec) ? Unpooled.EMPTY_BUFFER : buffers.take(rec.dataLength()));
    }

    /**
     * Verified ack mode: sends again each record the remote dropped after a NAK verdict, read
     * afresh from the journal, on the connection it first went on — the one the verdict went
     * back on, so the remote sees the verdict before the resend. The record is still counted
     * in flight (it was never acknowledged), so the window is unchanged.
     *
     * @return whether the session is still open
     */
    private boolean resendRejected(ReplicationSession s) throws IOException {
        for (long seq; s.isOpen() && (seq = verification.nextResend()) != 0; ) {
            JournalRecord rec = journal.reader(seq).next(resendBuffers);
            if (rec == null) {
                s.end("journal record " + seq + " to resend is not there");
                throw new IOException("journal record seq " + seq + ", rejected by the remote, cannot be read again");
            }
            log.info("resending seq {}: the remote's copy did not match the journal's CRC32C", seq);
            s.channelFor(seq).writeAndFlush(writeOf(rec, resendBuffers)).addListener(f -> {
                if (!f.isSuccess()) {
                    s.end("resend on connection failed: " + f.cause());
                }
            });
        }
        return s.isOpen();
    }

    private static boolean isTrim(JournalRecord rec) {
        return rec.type() == org.blockmirror.journal.RecordType.TRIM;
    }

    /**
     * Paces bursts in async mode: a record that ends an idle spell goes at once if the last burst
     * left at least {@code transport.send-coalesce-us} ago (a sparse stream, e.g. one host write
     * at a time, gains nothing from waiting), else it waits until then, and the host writes made
     * meanwhile go with it. A dense stream of small writes thus travels in bursts, at most one per
     * window: one wake-up of this thread, of the event loops and of the remote's applier, one
     * fdatasync and one ACK per connection on the remote, for all the records of a burst. Costs
     * the remote copy at most that much more lag; the host does not wait for it (the default is 0
     * where it would: sync and verified mode). Runs on the replicator thread only.
     */
    private void pace(long nextSeq) {
        long window = TimeUnit.MICROSECONDS.toNanos(settings.sendCoalesceMicros());
        if (window == 0 || journal.durableSeq() < nextSeq) {
            return;
        }
        long until = lastBurstNanos + window;
        for (long left; (left = until - System.nanoTime()) > 0; ) {
            LockSupport.parkNanos(left);
        }
        lastBurstNanos = System.nanoTime();
    }

    private void awaitDurable(long seq) {
        try {
            journal.awaitDurable(seq, 100, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** True once the backlog is replayed: everything sent, or everything up to the target, is acknowledged. */
    private boolean caughtUp(ReplicationSession s, long replayTarget) {
        lock.lock();
        try {
            return s.isOpen() && (inflight.isEmpty() || ackedSeq >= replayTarget);
        } finally {
            lock.unlock();
        }
    }

    /** True while the session is open and nothing sent is waiting for its acknowledgement. */
    private boolean allAcknowledged(ReplicationSession s) {
        lock.lock();
        try {
            return s.isOpen() && inflight.isEmpty();
        } finally {
            lock.unlock();
        }
    }

    private boolean awaitWindow(ReplicationSession s, long bytes) throws IOException {
        if (s.isOpen() && inflightBytesNow() + bytes > s.windowBytes) {
            s.channels.forEach(Channel::flush); // the acks we wait for need these writes sent
        }
        lock.lock();
        try {
            // a record larger than the window still goes alone, so progress is always possible
            while (s.isOpen() && !closed && inflightBytes > 0 && inflightBytes + bytes > s.windowBytes) {
                if (verifying && verification.hasResends()) {
                    // the remote can acknowledge nothing past a rejected record before its resend
                    lock.unlock();
                    try {
                        resendRejected(s);
                    } finally {
                        lock.lock();
                    }
                    continue;
                }
                changed.awaitNanos(TimeUnit.MILLISECONDS.toNanos(100));
            }
            return s.isOpen() && !closed;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Holds the next record back while the schedule says so: during a blackout window (the
     * session stays open, the journal absorbs the writes) or until the rate limit allows it.
     */
    private boolean awaitSchedule(ReplicationSession s, long bytes) {
        if (schedule.permit(bytes) == 0) {
            return s.isOpen();
        }
        s.channels.forEach(Channel::flush); // what is already written goes out now
        Phase before = phase;
        boolean paused = false;
        lock.lock();
        try {
            long wait;
            while (s.isOpen() && !closed && (wait = schedule.permit(bytes)) > 0) {
                if (!paused && schedule.inBlackout()) {
                    paused = true;
                    phase = Phase.PAUSED_BY_SCHEDULE;
                    log.info("send blackout ({}): holding writes in the journal until {}", schedule.blackout(),
                            schedule.resumesAt());
                }
                changed.awaitNanos(Math.min(wait, SendSchedule.BLACKOUT_RECHECK_NANOS));
            }
            return s.isOpen() && !closed;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } finally {
            lock.unlock();
            if (paused) {
                phase = before;
                if (s.isOpen()) {
                    log.info("send blackout over: sending resumes");
                }
            }
        }
    }

    /**
     * Holds the next record back while the operator has stopped sending: like a blackout, the
     * session stays open and the journal absorbs the writes.
     */
    private boolean awaitOperator(ReplicationSession s, Phase resumeAs) {
        if (!sendingStopped) {
            if (phase == Phase.PAUSED_BY_OPERATOR) {
                phase = resumeAs;
            }
            return s.isOpen();
        }
        s.channels.forEach(Channel::flush); // what is already written goes out now
        phase = Phase.PAUSED_BY_OPERATOR;
        lock.lock();
        try {
            while (s.isOpen() && !closed && sendingStopped) {
                changed.awaitNanos(TimeUnit.MILLISECONDS.toNanos(100));
            }
            return s.isOpen() && !closed;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } finally {
            lock.unlock();
            phase = resumeAs;
        }
    }

    /**
     * Operator: stop or restart sending. Stopped, records stay in the journal; the session, the
     * heartbeats and acknowledgements of what was already sent go on.
     */
    public void setSendingStopped(boolean stopped) {
        lock.lock();
        try {
            if (stopped != sendingStopped) {
                log.info(stopped ? "sending stopped by the operator: records are held in the journal"
                        : "sending restarted by the operator");
            }
            sendingStopped = stopped;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    public boolean sendingStopped() {
        return sendingStopped;
    }

    private boolean awaitWritable(ReplicationSession s, Channel ch) {
        lock.lock();
        try {
            while (s.isOpen() && !closed && !ch.isWritable()) {
                ch.flush();
                changed.awaitNanos(TimeUnit.MILLISECONDS.toNanos(50));
            }
            return s.isOpen() && !closed;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } finally {
            lock.unlock();
        }
    }

    private long inflightBytesNow() {
        lock.lock();
        try {
            return inflightBytes;
        } finally {
            lock.unlock();
        }
    }

    private void unregister(ReplicationSession s) {
        for (int i = 0; i < s.registered.size(); i++) {
            connectionArray.unregister(i, s.registered.get(i));
        }
    }

    private void endSession(ReplicationSession s) {
        unregister(s);
        recordBuffers.discardUntaken(); // a record read but not sent when the session ended
        resendBuffers.discardUntaken();
        verification.reset();
        lock.lock();
        try {
            if (session == s) {
                session = null;
            }
            inflight.clear();
            inflightBytes = 0;
        } finally {
            lock.unlock();
        }
    }

    // ---- acknowledgements ----

    private void onAcked(long seq) {
        long newlyAckedBlocks = 0;
        lock.lock();
        try {
            if (seq > ackedSeq) {
                ackedSeq = seq;
            }
            while (!inflight.isEmpty() && inflight.peek()[0] <= seq) {
                long[] e = inflight.poll();
                inflightBytes -= e[1];
                newlyAckedBlocks += e[2];
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        blocksAcked.addAndGet(newlyAckedBlocks);
        if (verifying) {
            verification.acked(seq);
        }
        if (seq > 0) {
            pipeline.onRemoteAck(seq); // releases the journal once the local volume has the records too
        }
    }

    /** Connection events of the current session, delivered on Netty event loops. */
    private final class SessionEvents implements SessionHandler.Events {
        volatile ReplicationSession session;

        @Override
        public void onAck(long seq) {
            onAcked(seq);
        }

        @Override
        public void onNak(Nak nak) {
            naks.incrementAndGet();
            if (nak.status() == org.blockmirror.protocol.NakStatus.CRC_MISMATCH) {
                verifyJournalReads = true; // the next session's reader names a corrupt journal record
            }
            reportError("remote could not apply seq " + nak.seq() + " (" + nak.status() + "): " + nak.message());
            ReplicationSession s = session;
            if (s != null) {
                s.end("NAK for seq " + nak.seq());
            }
        }

        @Override
        public void onVerify(Channel channel, Verify verify) {
            ReplicationSession s = session;
            if (s == null || !s.isOpen()) {
                return; // a late VERIFY of an ended session: the next session resends anyway
            }
            VerifyTracker.Judgement j = verification.judge(verify);
            if (j == null) {
                reportError("remote sent VERIFY for seq " + verify.seq() + ", which is not in flight");
                s.end("VERIFY for seq " + verify.seq() + ", not in flight");
                return;
            }
            if (j.reply().verdict() == Verdict.ACK_ACK) {
                channel.write(j.reply(), channel.voidPromise()); // flushed at the end of the read
                return;
            }
            // the verdict goes out before the replicator thread can queue the resend behind it
            channel.writeAndFlush(j.reply(), channel.voidPromise());
            log.warn("remote received seq {} damaged: its CRC32C 0x{}, the journal's 0x{}", verify.seq(),
                    Integer.toHexString(verify.dataCrc32c()), Integer.toHexString(j.reply().localCrc32c()));
            if (j.giveUp()) {
                reportError("remote received seq " + verify.seq() + " damaged " + (VerifyTracker.MAX_REJECTIONS + 1)
                        + " times in a row; starting a new session");
                s.end("seq " + verify.seq() + " keeps failing verification");
                return;
            }
            signal(); // the replicator resends it
        }

        @Override
        public void onClosed(int connectionIndex, String why) {
            ReplicationSession s = session;
            if (s != null) {
                s.end(why);
            }
            signal();
        }

        @Override
        public void onWritable() {
            signal();
        }

        @Override
        public void onRemirror(org.blockmirror.protocol.Message answer) {
            ReplicationSession s = session;
            RemirrorLink link = s == null ? null : s.remirrorLink;
            if (link != null) {
                link.deliver(answer);
            } else if (s != null) {
                s.end("remirror answer " + answer.frameType() + " without a remirror");
            }
        }

        @Override
        public void onReadData(ReadData answer) {
            java.util.function.Consumer<ReadData> to = readAnswers;
            if (to != null) {
                to.accept(answer);
            }
        }

        private void signal() {
            lock.lock();
            try {
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    // ---- status ----

    /** Fail-over: where READ_DATA answers go ({@link PeerReadClient}); call before {@link #start}. */
    void setReadAnswers(java.util.function.Consumer<ReadData> answers) {
        this.readAnswers = answers;
    }

    /**
     * Fail-over: a connection of the current session for a READ (spread by {@code hint}), or null
     * if no session is admitted and streaming. READs share the connections with WRITEs.
     */
    io.netty.channel.Channel readChannel(long hint) {
        lock.lock();
        try {
            ReplicationSession s = session;
            return s == null || !s.isOpen() ? null
                    : s.channels.get((int) Long.remainderUnsigned(hint, s.channels.size()));
        } finally {
            lock.unlock();
        }
    }

    public Phase phase() {
        return phase;
    }

    public long ackedSeq() {
        lock.lock();
        try {
            return ackedSeq;
        } finally {
            lock.unlock();
        }
    }

    public long sentSeq() {
        return sentSeq;
    }

    public long blocksSent() {
        return blocksSent.get();
    }

    public long blocksAcked() {
        return blocksAcked.get();
    }

    public long sessionsOpened() {
        return sessionsOpened.get();
    }

    public long naks() {
        return naks.get();
    }

    /** Verified ack mode: VERIFYs confirmed with ACK_ACK. */
    public long verified() {
        return verification.verified();
    }

    /** Verified ack mode: VERIFYs rejected because the remote's CRC32C differed from the journal's. */
    public long verifyMismatches() {
        return verification.mismatches();
    }

    /** Verified ack mode: records sent again after a rejection. */
    public long resends() {
        return verification.resent();
    }

    public String lastError() {
        return lastError;
    }

    public int connectionsUp() {
        lock.lock();
        try {
            return session == null ? 0 : session.connectionsUp();
        } finally {
            lock.unlock();
        }
    }

    public SendSchedule schedule() {
        return schedule;
    }

    public int connectionsConfigured() {
        return settings.connections();
    }

    @Override
    public void close() throws InterruptedException {
        lock.lock();
        try {
            closed = true;
            if (session != null) {
                session.end("shutting down");
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        thread.join(10_000);
        RemirrorPhase r = remirror;
        if (r != null) {
            try {
                r.source().close(); // the replicator thread, its only user, has stopped
            } catch (IOException e) {
                log.warn("closing the remirror's in-flight map: {}", e.toString());
            }
        }
    }
}
