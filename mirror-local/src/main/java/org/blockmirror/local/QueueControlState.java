package org.blockmirror.local;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Optional;
import org.blockmirror.state.DurableStateFile;

/**
 * The local unit's small durable state for buffer modes and queue control, in a
 * {@link DurableStateFile} ({@code state.dir/queue-control.state}).
 *
 * <p>Payload, version 1, big-endian: {@code version u16 | flags u8 (bit 0 enqueueing stopped,
 * bit 1 sending stopped) | volumeHoldsThroughSeq u64}.
 *
 * <ul>
 *   <li>The two operator flags survive a restart: an operator who stopped sending (a maintenance
 *       window, a link that must stay quiet) or enqueueing does not want a reboot to undo it.</li>
 *   <li>{@code volumeHoldsThroughSeq}: every journal record up to this seq is durable on the
 *       local volume. Written before the first bitmap-mode write reaches the volume, so the
 *       start-up redo skips those records: redoing them would overwrite newer bitmap-mode writes
 *       to the same blocks, which the journal knows nothing about.</li>
 * </ul>
 */
public final class QueueControlState implements AutoCloseable {

    public static final String FILE_NAME = "queue-control.state";
    private static final short VERSION = 1;
    private static final int PAYLOAD = 2 + 1 + 8;

    private final DurableStateFile file;
    private boolean enqueueStopped;
    private boolean sendStopped;
    private long volumeHoldsThroughSeq;

    private QueueControlState(DurableStateFile file) {
        this.file = file;
    }

    /** Opens (creating if needed) {@code stateDir/queue-control.state}. */
    public static QueueControlState open(Path stateDir) throws IOException {
        DurableStateFile f = DurableStateFile.open(stateDir.resolve(FILE_NAME));
        QueueControlState s = new QueueControlState(f);
        try {
            Optional<byte[]> value = f.read();
            if (value.isPresent()) {
                ByteBuffer b = ByteBuffer.wrap(value.get());
                if (b.remaining() < PAYLOAD || b.getShort(0) != VERSION) {
                    throw new IOException(f.path() + ": queue-control state of version " + (b.remaining() >= 2
                            ? b.getShort(0) : -1) + " and " + b.remaining() + " bytes is not supported (this build"
                            + " reads version " + VERSION + ")");
                }
                int flags = b.get(2);
                s.enqueueStopped = (flags & 1) != 0;
                s.sendStopped = (flags & 2) != 0;
                s.volumeHoldsThroughSeq = b.getLong(3);
            }
        } catch (IOException | RuntimeException e) {
            f.close();
            throw e;
        }
        return s;
    }

    public synchronized boolean enqueueStopped() {
        return enqueueStopped;
    }

    public synchronized boolean sendStopped() {
        return sendStopped;
    }

    public synchronized long volumeHoldsThroughSeq() {
        return volumeHoldsThroughSeq;
    }

    public synchronized void setEnqueueStopped(boolean stopped) throws IOException {
        if (stopped != enqueueStopped) {
            write(stopped, sendStopped, volumeHoldsThroughSeq);
        }
    }

    public synchronized void setSendStopped(boolean stopped) throws IOException {
        if (stopped != sendStopped) {
            write(enqueueStopped, stopped, volumeHoldsThroughSeq);
        }
    }

    /** Durably records that the local volume holds every journal record up to {@code seq}. */
    public synchronized void setVolumeHoldsThroughSeq(long seq) throws IOException {
        if (seq != volumeHoldsThroughSeq) {
            write(enqueueStopped, sendStopped, seq);
        }
    }

    private void write(boolean enqueue, boolean send, long seq) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(PAYLOAD);
        b.putShort(VERSION).put((byte) ((enqueue ? 1 : 0) | (send ? 2 : 0))).putLong(seq);
        file.write(b.array());
        enqueueStopped = enqueue;
        sendStopped = send;
        volumeHoldsThroughSeq = seq;
    }

    public Path path() {
        return file.path();
    }

    @Override
    public void close() throws IOException {
        file.close();
    }
}
