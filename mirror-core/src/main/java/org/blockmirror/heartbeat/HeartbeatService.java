package org.blockmirror.heartbeat;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

import org.blockmirror.time.MonotonicClock;
import org.blockmirror.transport.NettyTransport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.concurrent.DefaultThreadFactory;

/**
 * The heartbeat sender and receiver of one unit, over UDP: sends a heartbeat to the peer every
 * interval, feeds valid received heartbeats to the {@link LinkMonitor} (and refreshes the
 * {@link ConnectionArray}), and ticks the monitor about ten times per interval.
 *
 * <p>Sending, receiving and ticking all run on the datagram channel's single event loop, so
 * the monitor and its listeners are driven from one thread. Scheduling uses wall time; every
 * state decision uses the injected clock inside the monitor.
 *
 * <p>The peer address may be a UDP forwarder in front of the real peer (tests and demos cut the
 * link there): the sender's address is never checked, only the datagram's content.
 */
public final class HeartbeatService implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(HeartbeatService.class);

    private enum Lifecycle { NEW, STARTED, CLOSED }

    private final UUID unitId;
    private final String volumeId;
    private final InetSocketAddress bindAddress;
    private final InetSocketAddress peerAddress;
    private final HeartbeatSettings settings;
    private final MonotonicClock clock;
    private final ConnectionArray connections;
    private final EventLoopGroup givenGroup;
    private final LinkMonitor monitor;

    private final LongAdder sent = new LongAdder();
    private final LongAdder sendFailures = new LongAdder();
    private final LongAdder received = new LongAdder();
    private final Map<RejectReason, LongAdder> rejected = new EnumMap<>(RejectReason.class);
    private final AtomicLong missed = new AtomicLong();
    private volatile Heartbeat lastPeerHeartbeat;

    // Guarded by this.
    private Lifecycle lifecycle = Lifecycle.NEW;
    private EventLoopGroup ownGroup;
    private Channel channel;
    private ScheduledFuture<?> sendTask;
    private ScheduledFuture<?> tickTask;

    /** Only touched on the event loop. */
    private long counter;

    private HeartbeatService(Builder b) {
        this.unitId = Objects.requireNonNull(b.unitId, "unitId");
        this.volumeId = Objects.requireNonNull(b.volumeId, "volumeId");
        Heartbeat.checkVolumeId(volumeId);
        this.bindAddress = Objects.requireNonNull(b.bindAddress, "bindAddress");
        this.peerAddress = Objects.requireNonNull(b.peerAddress, "peerAddress");
        this.settings = b.settings;
        this.clock = b.clock;
        this.connections = b.connections;
        this.givenGroup = b.eventLoopGroup;
        for (RejectReason r : RejectReason.values()) {
            rejected.put(r, new LongAdder());
        }
        String peerName = b.peerName != null ? b.peerName : peerAddress.getHostString() + ":" + peerAddress.getPort();
        this.monitor = new LinkMonitor(peerName, settings, clock);
        if (connections != null) {
            // First listener: the array is open before a daemon listener reconnects on UP.
            monitor.addListener(connections);
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The link state machine; add listeners here before {@link #start()}. */
    public LinkMonitor monitor() {
        return monitor;
    }

    /**
     * Binds the listen address and starts sending and ticking.
     *
     * @throws IOException if the socket cannot be bound (the message names the address)
     * @throws IllegalStateException if already started or closed
     */
    public synchronized void start() throws IOException {
        if (lifecycle != Lifecycle.NEW) {
            throw new IllegalStateException("heartbeat service for " + monitor.peer() + " already "
                    + (lifecycle == Lifecycle.STARTED ? "started" : "closed"));
        }
        lifecycle = Lifecycle.STARTED;
        EventLoopGroup group = givenGroup;
        if (group == null) {
            ownGroup = NettyTransport.preferred().newGroup(1, new DefaultThreadFactory("blockmirror-heartbeat", true));
            group = ownGroup;
        }
        ChannelFuture bound = new Bootstrap()
                .group(group)
                .channel(NettyTransport.of(group).datagramChannel())
                .handler(new HeartbeatReceiver(unitId, volumeId, new Sink()))
                .bind(bindAddress)
                .awaitUninterruptibly();
        if (!bound.isSuccess()) {
            close();
            Throwable cause = bound.cause();
            throw new IOException("cannot bind heartbeat socket to " + bindAddress + ": " + cause.getMessage(), cause);
        }
        channel = bound.channel();
        EventLoop loop = channel.eventLoop();
        long tickPeriod = Math.max(5, Math.min(100, settings.intervalMillis() / 10));
        sendTask = loop.scheduleAtFixedRate(this::sendHeartbeat, 0, settings.intervalMillis(), TimeUnit.MILLISECONDS);
        tickTask = loop.scheduleAtFixedRate(this::tick, tickPeriod, tickPeriod, TimeUnit.MILLISECONDS);
        log.info("heartbeats for volume '{}' every {} ms to {}, listening on {}",
                volumeId, settings.intervalMillis(), peerAddress, channel.localAddress());
    }

    /** The bound listen address (useful when binding port 0). */
    public synchronized InetSocketAddress localAddress() {
        if (channel == null) {
            throw new IllegalStateException("heartbeat service not started");
        }
        return (InetSocketAddress) channel.localAddress();
    }

    public InetSocketAddress peerAddress() {
        return peerAddress;
    }

    /** The last valid heartbeat from the peer: its unit id, counter, clock and its own link state. */
    public Optional<Heartbeat> lastPeerHeartbeat() {
        return Optional.ofNullable(lastPeerHeartbeat);
    }

    public HeartbeatStats stats() {
        Map<RejectReason, Long> byReason = new EnumMap<>(RejectReason.class);
        long total = 0;
        for (Map.Entry<RejectReason, LongAdder> e : rejected.entrySet()) {
            long n = e.getValue().sum();
            byReason.put(e.getKey(), n);
            total += n;
        }
        return new HeartbeatStats(sent.sum(), sendFailures.sum(), received.sum(), total, byReason, missed.get());
    }

    /** Stops sending and receiving and releases the socket. Idempotent; safe from any thread. */
    @Override
    public synchronized void close() {
        if (lifecycle == Lifecycle.CLOSED) {
            return;
        }
        lifecycle = Lifecycle.CLOSED;
        if (sendTask != null) {
            sendTask.cancel(false);
        }
        if (tickTask != null) {
            tickTask.cancel(false);
        }
        boolean onLoop = channel != null && channel.eventLoop().inEventLoop();
        if (channel != null) {
            ChannelFuture closed = channel.close();
            if (!onLoop) {
                closed.awaitUninterruptibly();
            }
        }
        if (ownGroup != null) {
            var terminated = ownGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            if (!onLoop) {
                terminated.awaitUninterruptibly();
            }
        }
        log.info("heartbeats to {} stopped", peerAddress);
    }

    private void sendHeartbeat() {
        // Never let an exception escape: it would cancel the periodic task for good.
        try {
            Heartbeat heartbeat = new Heartbeat(unitId, volumeId, ++counter, clock.wallMillis(), monitor.state());
            ByteBuf buf = channel.alloc().ioBuffer(HeartbeatCodec.encodedLength(heartbeat));
            try {
                HeartbeatCodec.encode(heartbeat, buf);
            } catch (RuntimeException e) {
                buf.release();
                throw e;
            }
            // The DatagramPacket owns buf from here; Netty releases it after the write.
            channel.writeAndFlush(new DatagramPacket(buf, peerAddress)).addListener(f -> {
                if (f.isSuccess()) {
                    sent.increment();
                } else {
                    sendFailures.increment();
                    log.debug("heartbeat to {} not sent: {}", peerAddress, f.cause().toString());
                }
            });
        } catch (RuntimeException e) {
            sendFailures.increment();
            log.warn("heartbeat to {} failed", peerAddress, e);
        }
    }

    private void tick() {
        try {
            monitor.tick();
        } catch (RuntimeException e) {
            log.warn("heartbeat tick failed", e);
        }
    }

    /** Decisions of the receiver handler; runs on the event loop. */
    private final class Sink implements HeartbeatReceiver.Sink {
        @Override
        public void accepted(Heartbeat heartbeat, InetSocketAddress sender) {
            received.increment();
            Heartbeat previous = lastPeerHeartbeat;
            lastPeerHeartbeat = heartbeat;
            if (previous != null && previous.senderUnitId().equals(heartbeat.senderUnitId())) {
                long step = heartbeat.counter() - previous.counter();
                if (step > 1) {
                    missed.addAndGet(step - 1);
                } else if (step <= 0) {
                    log.debug("heartbeat counter from {} went from {} to {} (peer restarted or datagram reordered)",
                            sender, previous.counter(), heartbeat.counter());
                }
            } else if (previous != null) {
                log.info("heartbeats for volume '{}' now come from unit {} (was {})",
                        volumeId, heartbeat.senderUnitId(), previous.senderUnitId());
            }
            try {
                if (connections != null) {
                    connections.refreshAll();
                }
                monitor.onHeartbeat();
            } catch (RuntimeException e) {
                log.warn("handling heartbeat from {} failed", sender, e);
            }
        }

        @Override
        public void rejected(RejectReason reason, String detail, InetSocketAddress sender) {
            rejected.get(reason).increment();
            log.debug("rejected datagram from {} ({}): {}", sender, reason, detail);
        }
    }

    /** Builder; unit id, volume id, bind and peer addresses are required. */
    public static final class Builder {
        private UUID unitId;
        private String volumeId;
        private InetSocketAddress bindAddress;
        private InetSocketAddress peerAddress;
        private HeartbeatSettings settings = HeartbeatSettings.defaults();
        private MonotonicClock clock = MonotonicClock.system();
        private ConnectionArray connections;
        private EventLoopGroup eventLoopGroup;
        private String peerName;

        private Builder() {
        }

        /** This unit's identity, sent in every heartbeat; datagrams carrying it are rejected. */
        public Builder unitId(UUID unitId) {
            this.unitId = unitId;
            return this;
        }

        /** The mirrored volume; heartbeats for other volumes are rejected. */
        public Builder volumeId(String volumeId) {
            this.volumeId = volumeId;
            return this;
        }

        public Builder bindAddress(InetSocketAddress bindAddress) {
            this.bindAddress = bindAddress;
            return this;
        }

        /** Where heartbeats go: the peer's heartbeat address, or a forwarder in front of it. */
        public Builder peerAddress(InetSocketAddress peerAddress) {
            this.peerAddress = peerAddress;
            return this;
        }

        public Builder settings(HeartbeatSettings settings) {
            this.settings = Objects.requireNonNull(settings, "settings");
            return this;
        }

        public Builder clock(MonotonicClock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** The connection array to refresh on heartbeats and close on link DOWN. */
        public Builder connections(ConnectionArray connections) {
            this.connections = connections;
            return this;
        }

        /** Run on this group (not shut down by {@link #close()}); default: an own 1-thread group. */
        public Builder eventLoopGroup(EventLoopGroup group) {
            this.eventLoopGroup = group;
            return this;
        }

        /** The peer's name in log lines; default: the peer address. */
        public Builder peerName(String peerName) {
            this.peerName = peerName;
            return this;
        }

        public HeartbeatService build() {
            return new HeartbeatService(this);
        }
    }
}
