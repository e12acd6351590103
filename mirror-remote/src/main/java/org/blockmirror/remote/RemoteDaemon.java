package org.blockmirror.remote;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import java.io.IOException;
import java.net.InetSocketAddress;
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
import org.blockmirror.config.CommonConfig;
import org.blockmirror.control.ControlServer;
import org.blockmirror.frontend.FrontEnd;
import org.blockmirror.frontend.FrontEndFactory;
import org.blockmirror.heartbeat.HeartbeatService;
import org.blockmirror.heartbeat.HeartbeatSettings;
import org.blockmirror.heartbeat.LinkState;
import org.blockmirror.heartbeat.LinkStatus;
import org.blockmirror.protocol.FrameDecoder;
import org.blockmirror.protocol.FrameEncoder;
import org.blockmirror.protocol.ProtocolErrorHandler;
import org.blockmirror.state.UnitIdentity;
import org.blockmirror.time.MonotonicClock;
import org.blockmirror.transport.NettyTransport;
import org.blockmirror.volume.FileVolume;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The remote unit: accepts the local unit's n connections, applies its writes in sequence
 * order to the remote volume, and keeps the heartbeat link. When the link goes down every
 * connection is closed; new sessions are refused while the link is down or on probation.
 */
public final class RemoteDaemon implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(RemoteDaemon.class);

    private final RemoteConfig config;
    private final UUID unitId;
    private final FileVolume volume;
    private final AppliedSequence applied;
    private final Applier applier;
    private final Attachment attachment;
    private final EventLoopGroup group;
    private final Channel server;
    private final HeartbeatService heartbeats;
    private final ControlServer control;
    private final AlertCenter alerts;
    private final AlertListener alertHook;
    private final ScheduledExecutorService timers;

    private final FrontEnd frontEnd; // null: frontend = none
    private final ConsistencyState consistency;
    private final RemirrorTarget remirror;

    private RemoteDaemon(RemoteConfig config, UUID unitId, FileVolume volume, AppliedSequence applied, Applier applier,
                         Attachment attachment, EventLoopGroup group, Channel server, HeartbeatService heartbeats,
                         ControlServer control, AlertCenter alerts, AlertListener alertHook,
                         ScheduledExecutorService timers, FrontEnd frontEnd, ConsistencyState consistency,
                         RemirrorTarget remirror) {
        this.consistency = consistency;
        this.remirror = remirror;
        this.config = config;
        this.unitId = unitId;
        this.volume = volume;
        this.applied = applied;
        this.applier = applier;
        this.attachment = attachment;
        this.group = group;
        this.server = server;
        this.heartbeats = heartbeats;
        this.control = control;
        this.alerts = alerts;
        this.alertHook = alertHook;
        this.timers = timers;
        this.frontEnd = frontEnd;
    }

    public static RemoteDaemon start(RemoteConfig config, MonotonicClock clock, Random random) throws IOException {
        return start(config, clock, random, FrontEndFactory.UNAVAILABLE);
    }

    /**
     * As {@link #start(RemoteConfig, MonotonicClock, Random)}; when {@code frontend} is not none
     * the unit also shows the host its standby disk: same identity as the local unit's, data
     * commands answered NOT READY.
     */
    public static RemoteDaemon start(RemoteConfig config, MonotonicClock clock, Random random,
                                     FrontEndFactory frontEnds) throws IOException {
        return start(config, clock, random, frontEnds, null);
    }

    /**
     * As above, with the role logic of a {@code blockmirror unit} ({@code roleGate}, null for none):
     * the secondary half (docs/roles.md §5).
     */
    public static RemoteDaemon start(RemoteConfig config, MonotonicClock clock, Random random,
                                     FrontEndFactory frontEnds, RoleGate roleGate) throws IOException {
        CommonConfig c = config.common();
        UUID unitId = UnitIdentity.loadOrCreate(c.stateDir(), c.unitId(),
                () -> new UUID(random.nextLong(), random.nextLong()));
        List<AutoCloseable> opened = new ArrayList<>();
        try {
            AlertListener alertHook = AlertHook.of(c.alert());
            if (alertHook instanceof AutoCloseable closeable) {
                opened.add(closeable);
            }
            AlertCenter alerts = new AlertCenter("remote", c.volumeId(), clock, alertHook);
            FileVolume volume = FileVolume.open(c.volumePath(), c.blockSize(), c.volumeSize(), c.volumeSize());
            opened.add(volume);
            AppliedSequence applied = AppliedSequence.open(c.stateDir().resolve("applied-seq"));
            opened.add(applied);
            Applier applier = new Applier(volume, applied, config.reorderWindowBytes(), config.inlineApplyMaxBytes());
            applier.start();
            opened.add(applier);
            ConsistencyState consistency = ConsistencyState.open(c.stateDir().resolve("sync-state"), applied.get());
            opened.add(consistency);
            RemirrorTarget remirror = new RemirrorTarget(volume, consistency, applier, config.remirrorPreHook(),
                    c.volumeId(), config.reorderWindowBytes());
            remirror.start();
            opened.add(remirror);
            Attachment attachment = new Attachment();
            PeerReadServer peerReads = new PeerReadServer(volume, applied, c.maxFrameBytes());
            opened.add(peerReads);

            HeartbeatService heartbeats = HeartbeatService.builder()
                    .unitId(unitId).volumeId(c.volumeId())
                    .bindAddress(CommonConfig.resolve(c.heartbeatListen()))
                    .peerAddress(CommonConfig.resolve(c.heartbeatPeer()))
                    .settings(new HeartbeatSettings(c.heartbeatIntervalMs(), c.heartbeatTimeoutMs(),
                            c.heartbeatProbationMs(), c.heartbeatProbationGapMs()))
                    .clock(clock).build();
            RemoteAlerts alertSources = new RemoteAlerts(alerts, applier, remirror);
            heartbeats.monitor().addListener(alertSources);
            heartbeats.monitor().addListener((from, to, reason) -> {
                if (to == LinkState.DOWN) {
                    int closed = attachment.closeAll();
                    applier.resetSession();
                    if (closed > 0) {
                        log.info("closed {} connection(s): {}", closed, reason);
                    }
                }
            });

            // no more event loops than CPUs: on a one-CPU machine a second loop only adds wake-ups
            NettyTransport transport = NettyTransport.preferred();
            EventLoopGroup group = transport.newGroup(Math.min(2, Runtime.getRuntime().availableProcessors()), null);
            opened.add(() -> group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly());
            ReceiverHandler.Volume served = new ReceiverHandler.Volume(unitId, c.volumeId(), volume.sizeBytes(),
                    c.blockSize(), config.reorderWindowBytes());
            Channel server = new ServerBootstrap().group(group).channel(transport.serverSocketChannel())
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childOption(ChannelOption.SO_KEEPALIVE, true)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast("decoder", new FrameDecoder(c.maxFrameBytes()))
                                    .addLast("encoder", new FrameEncoder())
                                    .addLast("receiver", new ReceiverHandler(served, applier, remirror, attachment,
                                            () -> notReadyReason(heartbeats), roleGate).servingReads(peerReads))
                                    .addLast("errors", ProtocolErrorHandler.forServer());
                        }
                    })
                    .bind(resolved(config.listenAddress())).awaitUninterruptibly().channel();
            if (!server.isActive()) {
                throw new IOException("cannot listen on " + config.listenAddress() + " (listen.address)");
            }
            opened.add(() -> server.close().syncUninterruptibly());
            server.closeFuture().addListener(f -> peerReads.close()); // no field: it lives as long as the listener
            heartbeats.start();
            opened.add(heartbeats);
            ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "remote-timers");
                t.setDaemon(true);
                return t;
            });
            timers.scheduleWithFixedDelay(alertSources::check, 200, 200, TimeUnit.MILLISECONDS);
            opened.add(timers::shutdownNow);

            FrontEnd frontEnd = null;
            if (config.frontEnd().enabled()) {
                frontEnd = frontEnds.start(config.frontEnd(), c.volumeId(),
                        new StandbyDevice(c.blockSize(), volume.blockCount()));
                opened.add(frontEnd);
            }

            RemoteDaemon[] self = new RemoteDaemon[1];
            ControlServer control = ControlServer.start(c.controlSocket(), Map.of("status", args -> self[0].status()));
            self[0] = new RemoteDaemon(config, unitId, volume, applied, applier, attachment, group, server, heartbeats,
                    control, alerts, alertHook, timers, frontEnd, consistency, remirror);
            log.info("remote unit {} receiving volume '{}' ({} blocks of {} bytes) into {} on {}; applied seq {}",
                    unitId, c.volumeId(), volume.blockCount(), c.blockSize(), volume.describe(),
                    server.localAddress(), applied.get());
            return self[0];
        } catch (IOException | RuntimeException e) {
            for (int i = opened.size() - 1; i >= 0; i--) {
                try {
                    opened.get(i).close();
                } catch (Exception suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw e;
        }
    }

    private static InetSocketAddress resolved(InetSocketAddress a) {
        return a.isUnresolved() ? new InetSocketAddress(a.getHostString(), a.getPort()) : a;
    }

    /** Sessions start only while the heartbeat link is up (or not yet known, at start-up). */
    private static String notReadyReason(HeartbeatService heartbeats) {
        LinkState s = heartbeats.monitor().state();
        return switch (s) {
            case UP, STARTING -> null;
            case DOWN -> "the remote hears no heartbeats from the local unit";
            case PROBATION -> "the heartbeat link is on probation";
        };
    }

    /** Where the server listens (useful when configured with port 0). */
    public InetSocketAddress listenAddress() {
        return (InetSocketAddress) server.localAddress();
    }

    public InetSocketAddress heartbeatAddress() {
        return heartbeats.localAddress();
    }

    public UUID unitId() {
        return unitId;
    }

    public long appliedSeq() {
        return applier.durableAppliedSeq();
    }

    /** Whether the copy was never synced, is inconsistent (a remirror is unfinished) or consistent. */
    public org.blockmirror.protocol.RemoteSyncState syncState() {
        return remirror.syncState();
    }

    /**
     * The unit's role exchange made this copy a resync target: pre-hook and the durable
     * inconsistent flag now, before the first block (docs/roles.md §5.8).
     *
     * @return null, or why the resync may not start
     */
    public String beginResync() throws InterruptedException {
        return remirror.beginResync();
    }

    public RemoteStatus status() {
        LinkStatus ls = heartbeats.monitor().status();
        var hb = heartbeats.stats();
        UUID attached = attachment.attachedUnit();
        return new RemoteStatus("remote", Version.current(), config.common().volumeId(), unitId.toString(),
                new RemoteStatus.Link(ls.state().name(), ls.millisInState(),
                        ls.lastHeardAgeMillis().isPresent() ? ls.lastHeardAgeMillis().getAsLong() : null,
                        ls.probationRemainingMillis().isPresent() ? ls.probationRemainingMillis().getAsLong() : null,
                        heartbeats.monitor().peer(), hb.sent(), hb.received()),
                attachment.connections(), attached == null ? null : attached.toString(), applier.durableAppliedSeq(),
                applier.writesApplied(), applier.blocksApplied(), applier.bufferedBytes(), applier.failures(),
                new RemoteStatus.Verification(applier.verified(), applier.verifyMismatches()),
                frontEnd == null ? null : frontEnd.status(), alerts.active(), remirror.progress());
    }

    @Override
    public void close() {
        control.close();
        if (frontEnd != null) {
            try {
                frontEnd.close();
            } catch (Exception e) {
                log.warn("error while removing the front end: {}", e.toString());
            }
        }
        List<AutoCloseable> parts = List.of(alertHook instanceof AutoCloseable hook ? hook : () -> { }, volume, applied, applier,
                consistency, remirror,
                () -> group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly(),
                () -> server.close().syncUninterruptibly(), heartbeats, timers::shutdownNow);
        for (int i = parts.size() - 1; i >= 0; i--) {
            try {
                parts.get(i).close();
            } catch (Exception e) {
                log.warn("error while shutting down: {}", e.toString());
            }
        }
        log.info("remote unit {} stopped", unitId);
    }
}
