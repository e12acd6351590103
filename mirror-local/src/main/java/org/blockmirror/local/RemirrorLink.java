package org.blockmirror.local;

import io.netty.channel.Channel;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.blockmirror.protocol.Message;

/**
 * The connection a remirror runs on: one channel of the replication session, and the remirror
 * answers that arrive on it (delivered by the channel's handler on its event loop, taken by the
 * {@link RemirrorSource} thread).
 */
public final class RemirrorLink {

    private final Channel channel;
    private final BooleanSupplier sessionOpen;
    private final LinkedBlockingQueue<Message> answers = new LinkedBlockingQueue<>();
    private volatile String failure;

    /**
     * @param sessionOpen false once the session the channel belongs to has ended
     */
    public RemirrorLink(Channel channel, BooleanSupplier sessionOpen) {
        this.channel = channel;
        this.sessionOpen = sessionOpen;
    }

    /** An answer of the remote arrived (event loop). */
    public void deliver(Message answer) {
        answers.add(answer);
    }

    boolean isOpen() {
        return failure == null && channel.isActive() && sessionOpen.getAsBoolean();
    }

    /** Why the link is unusable, for the error message. */
    String whyClosed() {
        if (failure != null) {
            return failure;
        }
        return channel.isActive() ? "the replication session ended" : "the connection to the remote closed";
    }

    /** Queues a frame (not flushed). The caller keeps nothing: the encoder releases data frames. */
    void send(Message m) {
        channel.write(m).addListener(f -> {
            if (!f.isSuccess()) {
                failure = "sending to the remote failed: " + f.cause();
                channel.close();
            }
        });
    }

    void flush() {
        channel.flush();
    }

    /** Waits until Netty's outbound buffer has room again (bounded by its write-buffer high-water mark). */
    void awaitWritable() throws InterruptedException {
        while (isOpen() && !channel.isWritable()) {
            channel.flush();
            Thread.sleep(1);
        }
    }

    Message poll(long timeoutMs) throws InterruptedException {
        return answers.poll(timeoutMs, TimeUnit.MILLISECONDS);
    }
}
