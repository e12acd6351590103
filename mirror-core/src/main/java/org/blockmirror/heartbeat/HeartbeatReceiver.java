package org.blockmirror.heartbeat;

import java.net.InetSocketAddress;
import java.util.UUID;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.DatagramPacket;

/**
 * Turns received datagrams into accepted heartbeats or counted rejections. Never throws out of
 * the pipeline: a bad datagram must not disturb the heartbeat channel. The packet is released
 * by {@link SimpleChannelInboundHandler} after {@link #channelRead0}.
 */
final class HeartbeatReceiver extends SimpleChannelInboundHandler<DatagramPacket> {

    private static final Logger log = LoggerFactory.getLogger(HeartbeatReceiver.class);

    /** Where decisions go; called on the channel's event loop. */
    interface Sink {
        void accepted(Heartbeat heartbeat, InetSocketAddress sender);

        void rejected(RejectReason reason, String detail, InetSocketAddress sender);
    }

    private final UUID ownUnitId;
    private final String volumeId;
    private final Sink sink;

    HeartbeatReceiver(UUID ownUnitId, String volumeId, Sink sink) {
        this.ownUnitId = ownUnitId;
        this.volumeId = volumeId;
        this.sink = sink;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
        InetSocketAddress sender = packet.sender();
        Heartbeat heartbeat;
        try {
            heartbeat = HeartbeatCodec.decode(packet.content());
        } catch (MalformedHeartbeatException e) {
            sink.rejected(e.reason(), e.getMessage(), sender);
            return;
        } catch (RuntimeException e) {
            sink.rejected(RejectReason.MALFORMED, "undecodable heartbeat: " + e, sender);
            return;
        }
        if (heartbeat.senderUnitId().equals(ownUnitId)) {
            sink.rejected(RejectReason.OWN_UNIT, "heartbeat carries our own unit id " + ownUnitId
                    + " (is the peer address pointing back at this unit?)", sender);
        } else if (!heartbeat.volumeId().equals(volumeId)) {
            sink.rejected(RejectReason.WRONG_VOLUME, "heartbeat for volume '" + heartbeat.volumeId()
                    + "' from unit " + heartbeat.senderUnitId() + ", this unit mirrors '" + volumeId + "'", sender);
        } else {
            sink.accepted(heartbeat, sender);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // E.g. ICMP port unreachable surfacing as a SocketException; the datagram channel stays open.
        log.debug("heartbeat channel {}: {}", ctx.channel(), cause.toString());
    }
}
