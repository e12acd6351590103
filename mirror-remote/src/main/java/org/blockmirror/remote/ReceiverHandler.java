package org.blockmirror.remote;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import java.util.UUID;
import java.util.function.Supplier;
import org.blockmirror.protocol.Ack;
import org.blockmirror.protocol.AckMode;
import org.blockmirror.protocol.BlockSums;
import org.blockmirror.protocol.FrameDecoder;
import org.blockmirror.protocol.FrameHeader;
import org.blockmirror.protocol.Generations;
import org.blockmirror.protocol.Goodbye;
import org.blockmirror.protocol.Hello;
import org.blockmirror.protocol.HelloOk;
import org.blockmirror.protocol.HelloReject;
import org.blockmirror.protocol.Message;
import org.blockmirror.protocol.Nak;
import org.blockmirror.protocol.NakStatus;
import org.blockmirror.protocol.RangeSums;
import org.blockmirror.protocol.Read;
import org.blockmirror.protocol.ReadStatus;
import org.blockmirror.protocol.RecordType;
import org.blockmirror.protocol.RejectReason;
import org.blockmirror.protocol.RemirrorBegin;
import org.blockmirror.protocol.RemirrorData;
import org.blockmirror.protocol.RemirrorDone;
import org.blockmirror.protocol.RoleReverse;
import org.blockmirror.protocol.Verdict;
import org.blockmirror.protocol.Verify;
import org.blockmirror.protocol.VerifyReply;
import org.blockmirror.protocol.Write;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Server side of one connection: checks the HELLO against the volume this unit serves, then
 * hands every WRITE to the {@link Applier} and sends its ACK/NAK back on this connection, and
 * every frame of a remirror to the {@link RemirrorTarget}. The WRITEs of one read burst are
 * offered together, and the applier hears of them once, when the burst ends
 * ({@link Applier#endBurst}).
 *
 * <p>In verified ack mode it also computes the CRC32C of each WRITE's data, sends it in a VERIFY
 * and passes the local unit's VERIFY_REPLY verdict to the applier, which applies the write only
 * after ACK_ACK.
 */
final class ReceiverHandler extends SimpleChannelInboundHandler<Message> {

    /** What the remote checks a HELLO against. */
    record Volume(UUID unitId, String volumeId, long sizeBytes, int blockSize, long reorderWindowBytes) {
    }

    private static final Logger log = LoggerFactory.getLogger(ReceiverHandler.class);

    private final Volume volume;
    private final Applier applier;
    private final RemirrorTarget remirror;
    private final Attachment attachment;
    /** Null when sessions may start; otherwise why not (e.g. the heartbeat link is on probation). */
    private final Supplier<String> notReadyReason;
    private final RoleGate roleGate; // null: no roles (blockmirror remote)
    private PeerReadServer peerReads; // null: READ frames close the connection
    private long sessionId;
    private boolean handshaken;
    private boolean verifiedMode;
    /** VERIFY frames written since the last flush (flushed once per read burst). */
    private boolean unflushed;
    /** WRITEs offered since the read burst began: the applier hears of them when it ends. */
    private boolean offeredInBurst;
    private Responder responder;

    ReceiverHandler(Volume volume, Applier applier, RemirrorTarget remirror, Attachment attachment,
                    Supplier<String> notReadyReason) {
        this(volume, applier, remirror, attachment, notReadyReason, null);
    }

    ReceiverHandler(Volume volume, Applier applier, RemirrorTarget remirror, Attachment attachment,
                    Supplier<String> notReadyReason, RoleGate roleGate) {
        this.roleGate = roleGate;
        this.volume = volume;
        this.applier = applier;
        this.remirror = remirror;
        this.attachment = attachment;
        this.notReadyReason = notReadyReason;
    }

    /** Serves the local unit's READs (fail-over) with {@code server}. */
    ReceiverHandler servingReads(PeerReadServer server) {
        this.peerReads = server;
        return this;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, Message msg) {
        if (!handshaken) {
            if (msg instanceof Hello hello) {
                handshake(ctx, hello);
            } else {
                log.warn("closing connection from {}: expected HELLO, got {}", ctx.channel().remoteAddress(),
                        msg.frameType());
                ctx.close();
            }
            return;
        }
        if (msg instanceof Write w) {
            receive(ctx, w);
        } else if (msg instanceof VerifyReply reply) {
            verdict(ctx, reply);
        } else if (msg instanceof Read read && peerReads != null) {
            if (roleGate != null && !roleGate.admits(sessionId)) {
                ctx.writeAndFlush(peerReads.refuse(read, ReadStatus.NOT_READY,
                        "session " + Long.toHexString(sessionId) + " was not admitted by the role exchange"));
            } else {
                peerReads.serve(ctx.channel(), read);
            }
        } else if (msg instanceof Generations g && roleGate != null) {
            ctx.writeAndFlush(roleGate.onGenerations(sessionId, g));
        } else if (msg instanceof RoleReverse r && roleGate != null) {
            RoleGate.Reply reply = roleGate.onReverse(r);
            ctx.writeAndFlush(reply.message()).addListener(f -> reply.afterSent().run());
        } else if (msg instanceof RemirrorBegin || msg instanceof RangeSums || msg instanceof BlockSums
                || msg instanceof RemirrorData || msg instanceof RemirrorDone) {
            if (msg instanceof RemirrorData d) {
                d.retain(); // the remirror target releases it once written
            }
            if (!remirror.offer(msg, ctx.channel())) {
                log.warn("closing connection from {}: remirror data beyond {} bytes queued",
                        ctx.channel().remoteAddress(), volume.reorderWindowBytes());
                ctx.close();
            }
        } else if (msg instanceof Goodbye) {
            ctx.close();
        } else {
            log.warn("closing connection from {}: unexpected {} after the handshake",
                    ctx.channel().remoteAddress(), msg.frameType());
            ctx.close();
        }
    }

    private void handshake(ChannelHandlerContext ctx, Hello h) {
        String problem = null;
        RejectReason reason = null;
        if (h.protocolVersion() < FrameHeader.VERSION) {
            reason = RejectReason.VERSION_MISMATCH;
            problem = "this remote speaks protocol version " + FrameHeader.VERSION + ", not " + h.protocolVersion();
        } else if (!volume.volumeId().equals(h.volumeId())) {
            reason = RejectReason.VOLUME_MISMATCH;
            problem = "this remote serves volume '" + volume.volumeId() + "', not '" + h.volumeId() + "'";
        } else if (volume.blockSize() != h.blockSize()) {
            reason = RejectReason.BLOCK_SIZE_MISMATCH;
            problem = "remote volume block size is " + volume.blockSize() + ", local is " + h.blockSize();
        } else if (volume.sizeBytes() != h.volumeSizeBytes()) {
            reason = RejectReason.SIZE_MISMATCH;
            problem = "remote volume is " + volume.sizeBytes() + " bytes, local is " + h.volumeSizeBytes();
        } else if (notReadyReason.get() != null) {
            reason = RejectReason.NOT_READY;
            problem = notReadyReason.get();
        } else if (attachment.admit(h.localUnitId(), h.sessionId(), ctx.channel()) instanceof Attachment.Busy busy) {
            reason = RejectReason.BUSY;
            problem = "volume '" + volume.volumeId() + "' is being mirrored by local unit " + busy.attachedUnit();
        }
        if (reason != null) {
            log.warn("refusing connection from {} (unit {}): {}", ctx.channel().remoteAddress(), h.localUnitId(), problem);
            ctx.writeAndFlush(new HelloReject(reason, problem)).addListener(f -> ctx.close());
            return;
        }
        ctx.pipeline().get(FrameDecoder.class).expectBlockSize(volume.blockSize());
        ctx.pipeline().get(FrameDecoder.class).expectAckMode(h.ackMode());
        verifiedMode = h.ackMode() == AckMode.VERIFIED;
        handshaken = true;
        sessionId = h.sessionId();
        responder = new Responder(ctx.channel());
        if (h.connectionIndex() == 0) {
            log.info("local unit {} connected from {} (session {}, {} connections); applied seq {}",
                    h.localUnitId(), ctx.channel().remoteAddress(), Long.toHexString(h.sessionId()),
                    h.connectionCount(), applier.durableAppliedSeq());
        }
        ctx.writeAndFlush(new HelloOk(volume.unitId(), applier.durableAppliedSeq(), volume.reorderWindowBytes(), 0,
                remirror.syncState()));
    }

    private void receive(ChannelHandlerContext ctx, Write w) {
        if (roleGate != null && !roleGate.admits(sessionId)) {
            log.warn("closing connection from {}: WRITE seq {} on session {}, which the role exchange did not admit",
                    ctx.channel().remoteAddress(), w.seq(), Long.toHexString(sessionId));
            ctx.close();
            return;
        }
        IncomingWrite in = new IncomingWrite(w.seq(), w.recordType() == RecordType.TRIM, w.lba(), w.blockCount(),
                w.dataCrc32c(), w.content().retain(), responder);
        if (verifiedMode) {
            // the CRC32C of the bytes this unit holds and will write, not the one the frame claims
            int crc = w.computeDataCrc();
            switch (applier.offerForVerification(in, crc)) {
                case AWAITING_VERDICT -> {
                    ctx.write(new Verify(w.seq(), crc), ctx.voidPromise());
                    unflushed = true;
                }
                case ANSWERED -> { }
                case OVERFLOW -> {
                    log.warn("closing connection from {}: write seq {} exceeds the reorder window of {} bytes",
                            ctx.channel().remoteAddress(), w.seq(), volume.reorderWindowBytes());
                    ctx.close();
                }
            }
            return;
        }
        offeredInBurst = true;
        if (!applier.offerInBurst(in)) {
            log.warn("closing connection from {}: write seq {} exceeds the reorder window of {} bytes",
                    ctx.channel().remoteAddress(), w.seq(), volume.reorderWindowBytes());
            ctx.close();
        }
    }

    private void verdict(ChannelHandlerContext ctx, VerifyReply reply) {
        boolean ackAck = reply.verdict() == Verdict.ACK_ACK;
        if (!applier.verdict(reply.seq(), responder, reply.remoteCrc32c(), ackAck)) {
            // e.g. the copy was replaced by a resend, or dropped when the link went down
            log.debug("ignoring a stale {} for seq {} from {}", reply.verdict(), reply.seq(),
                    ctx.channel().remoteAddress());
        } else if (!ackAck) {
            log.warn("local unit rejected seq {}: the data received has CRC32C 0x{}, its journal 0x{}; "
                            + "dropped the copy, waiting for the resend", reply.seq(),
                    Integer.toHexString(reply.remoteCrc32c()), Integer.toHexString(reply.localCrc32c()));
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        endBurst();
        if (unflushed) {
            unflushed = false;
            ctx.flush();
        }
        ctx.fireChannelReadComplete();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        endBurst(); // closed in mid-burst: the writes it offered still need their turn
        attachment.closed(ctx.channel());
        ctx.fireChannelInactive();
    }

    private void endBurst() {
        if (offeredInBurst) {
            offeredInBurst = false;
            applier.endBurst();
        }
    }

    /** Answers go back on the connection the write came on; flushed once per applied batch. */
    private static final class Responder implements WriteResponder {
        private final Channel channel;

        Responder(Channel channel) {
            this.channel = channel;
        }

        @Override
        public void ack(long seq) {
            channel.write(new Ack(seq), channel.voidPromise());
        }

        @Override
        public void nak(long seq, Failure failure, String message) {
            NakStatus status = switch (failure) {
                case IO_ERROR -> NakStatus.IO_ERROR;
                case CRC_MISMATCH -> NakStatus.CRC_MISMATCH;
                case OUT_OF_RANGE -> NakStatus.OUT_OF_RANGE;
            };
            String text = message.length() > 900 ? message.substring(0, 900) : message;
            channel.writeAndFlush(new Nak(seq, status, text), channel.voidPromise());
        }

        @Override
        public void flush() {
            channel.flush();
        }
    }
}
