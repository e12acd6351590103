package org.blockmirror.heartbeat;

import java.util.Objects;

import io.netty.channel.Channel;

/**
 * One mirroring TCP connection as the {@link ConnectionArray} sees it: something it can close
 * when the link goes DOWN. Daemons wrap their Netty channel with {@link #of(Channel)}.
 */
public interface MirrorConnection {

    /**
     * Closes the connection. Must not block (it is called from the heartbeat event loop) and
     * must be safe to call more than once.
     */
    void close();

    /** A Netty channel; closing is asynchronous, the daemon's close-future listener does the rest. */
    static MirrorConnection of(Channel channel) {
        Objects.requireNonNull(channel, "channel");
        return new MirrorConnection() {
            @Override
            public void close() {
                channel.close();
            }

            @Override
            public String toString() {
                return channel.toString();
            }
        };
    }
}
