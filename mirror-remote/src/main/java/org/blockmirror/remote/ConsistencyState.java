package org.blockmirror.remote;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Optional;
import org.blockmirror.protocol.RemoteSyncState;
import org.blockmirror.state.DurableStateFile;

/**
 * Whether the remote copy is an ordered prefix of the local volume, kept durably (state file
 * {@code sync-state} in the state directory, two checksummed slots).
 *
 * <p>A remirror writes chunks in whatever order they differ, so from its first write until it
 * has sent everything the copy is <em>inconsistent</em>: a mixture no host ever saw. The flag is
 * persisted before that first write and cleared (durably) only once the applied seq reaches the
 * {@code consistentAtSeq} the local unit named at the end of the remirror. A remote that never
 * applied anything and has no state file was <em>never synced</em>; one with an applied seq but
 * no state file (it predates this file) is consistent, as every remote was before remirror.
 *
 * <p>Payload (format version 1, big-endian): {@code u8 version = 1 | u8 state (RemoteSyncState
 * code) | u8 target set (0/1) | u8 reserved | u64 consistentAtSeq}.
 */
final class ConsistencyState implements AutoCloseable {

    private static final int VERSION = 1;
    private static final int LENGTH = 12;

    private final DurableStateFile file;
    private volatile RemoteSyncState state;
    /** Applied seq at which the copy becomes consistent again, or -1 while the remirror runs. */
    private volatile long consistentAtSeq;

    private ConsistencyState(DurableStateFile file, RemoteSyncState state, long consistentAtSeq) {
        this.file = file;
        this.state = state;
        this.consistentAtSeq = consistentAtSeq;
    }

    /**
     * @param appliedSeq the durable applied seq now (resolves a target reached before a crash)
     */
    static ConsistencyState open(Path path, long appliedSeq) throws IOException {
        DurableStateFile f = DurableStateFile.open(path);
        try {
            Optional<byte[]> stored = f.read();
            ConsistencyState s;
            if (stored.isEmpty()) {
                s = new ConsistencyState(f, appliedSeq == 0 ? RemoteSyncState.NEVER_SYNCED : RemoteSyncState.CONSISTENT, -1);
            } else {
                ByteBuffer b = ByteBuffer.wrap(stored.get());
                if (b.remaining() != LENGTH || b.get(0) != VERSION) {
                    throw new IOException(path + ": sync state record of " + b.remaining() + " bytes, version "
                            + (b.remaining() > 0 ? b.get(0) : 0) + ", is not format version " + VERSION);
                }
                RemoteSyncState st = RemoteSyncState.fromCode(b.get(1) & 0xFF);
                if (st == null) {
                    throw new IOException(path + ": unknown sync state code " + (b.get(1) & 0xFF));
                }
                s = new ConsistencyState(f, st, b.get(2) != 0 ? b.getLong(4) : -1);
            }
            s.reached(appliedSeq);
            return s;
        } catch (IOException | RuntimeException e) {
            f.close();
            throw e;
        }
    }

    RemoteSyncState state() {
        return state;
    }

    /** The applied seq at which an inconsistent copy becomes consistent, or -1 if not known yet. */
    long consistentAtSeq() {
        return consistentAtSeq;
    }

    /** Durably: the copy is about to be written out of order. */
    synchronized void markInconsistent() throws IOException {
        persist(RemoteSyncState.INCONSISTENT, -1);
    }

    /** Durably: the remirror ended; the copy is consistent once the applied seq reaches {@code atSeq}. */
    synchronized void consistentAt(long atSeq, long appliedSeq) throws IOException {
        if (state != RemoteSyncState.CONSISTENT) {
            persist(RemoteSyncState.INCONSISTENT, atSeq);
        }
        reached(appliedSeq);
    }

    /**
     * The applied seq moved: clears the flag (durably) if it reached the target.
     *
     * @return true if the copy became consistent now
     */
    synchronized boolean reached(long appliedSeq) throws IOException {
        if (state == RemoteSyncState.INCONSISTENT && consistentAtSeq >= 0 && appliedSeq >= consistentAtSeq) {
            persist(RemoteSyncState.CONSISTENT, -1);
            return true;
        }
        return false;
    }

    private void persist(RemoteSyncState newState, long atSeq) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(LENGTH);
        b.put((byte) VERSION).put((byte) newState.code()).put((byte) (atSeq >= 0 ? 1 : 0)).put((byte) 0)
                .putLong(Math.max(atSeq, 0));
        file.write(b.array());
        state = newState;
        consistentAtSeq = atSeq;
    }

    @Override
    public void close() throws IOException {
        file.close();
    }
}
