package org.blockmirror.local;

import io.netty.channel.Channel;
import java.util.ArrayList;
import java.util.List;
import org.blockmirror.heartbeat.MirrorConnection;
import java.util.concurrent.CompletableFuture;
import org.blockmirror.protocol.RemoteSyncState;

/**
 * The n connections opened together to the remote, from handshake to teardown. Any failure
 * of any connection ends the whole session: the remote applies in sequence order, so a write
 * lost with one connection would stall it; the next session resends from the remote's
 * applied sequence number instead.
 */
final class ReplicationSession {

    final long id;
    final List<Channel> channels;
    /** What the remote had durably applied when the session started (or when a remirror ended). */
    long remoteAppliedAtStart;
    /** What the remote's HELLO_OK said its copy is. */
    volatile RemoteSyncState remoteSyncState = RemoteSyncState.CONSISTENT;
    /** The role exchange made the peer a resync target: the next remirror compares every chunk. */
    volatile boolean compareWholeVolume;
    /** Whether streaming started once on this session (it counts as opened then). */
    boolean streamed;
    /** Where remirror answers go while a remirror runs on this session. */
    volatile RemirrorLink remirrorLink;
    /** Most bytes of write data allowed unacknowledged on the session. */
    final long windowBytes;
    /** This session's slots in the heartbeat's connection array, by connection index. */
    final List<MirrorConnection> registered = new ArrayList<>();
    private final CompletableFuture<String> ended = new CompletableFuture<>();

    ReplicationSession(long id, List<Channel> channels, long remoteAppliedAtStart, long windowBytes) {
        this.id = id;
        this.channels = List.copyOf(channels);
        this.remoteAppliedAtStart = remoteAppliedAtStart;
        this.windowBytes = windowBytes;
    }

    /** Ends the session (first reason wins) and closes every connection. */
    void end(String reason) {
        if (ended.complete(reason)) {
            channels.forEach(Channel::close);
        }
    }

    boolean isOpen() {
        return !ended.isDone();
    }

    String endReason() {
        return ended.getNow(null);
    }

    /** The connection a record travels on: round robin by sequence number. */
    Channel channelFor(long seq) {
        return channels.get((int) Long.remainderUnsigned(seq, channels.size()));
    }

    int connectionsUp() {
        int up = 0;
        for (Channel c : channels) {
            if (c.isActive()) {
                up++;
            }
        }
        return up;
    }
}
