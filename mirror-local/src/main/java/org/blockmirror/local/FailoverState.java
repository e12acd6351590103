package org.blockmirror.local;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;
import org.blockmirror.state.DurableStateFile;

/**
 * Whether the local volume is trusted, in a {@link DurableStateFile}
 * ({@code state.dir/failover.state}; docs/architecture.md "Fail-over through the peer").
 *
 * <p>Payload, version 1, big-endian: {@code version u16 | flags u8 (bit 0: the local volume failed
 * and lacks writes; serve through the peer until it is replaced) | reason length u16 | reason UTF-8}.
 *
 * <p>Written (and fdatasynced) when the unit enters degraded mode, before the first write that
 * skips the local volume; cleared only after a replacement volume holds every block and is
 * flushed. A restart in between must not redo the journal onto the old volume and serve it: the
 * journal no longer holds the records the remote acknowledged while degraded, so the volume
 * would silently lack them.
 */
public final class FailoverState implements AutoCloseable {

    public static final String FILE_NAME = "failover.state";
    private static final short VERSION = 1;
    private static final int VOLUME_FAILED = 1;
    private static final int MAX_REASON_BYTES = 1024;

    private final DurableStateFile file;
    private boolean volumeFailed;
    private String reason = "";

    private FailoverState(DurableStateFile file) {
        this.file = file;
    }

    /** Opens (creating if needed) {@code stateDir/failover.state}. */
    public static FailoverState open(Path stateDir) throws IOException {
        DurableStateFile f = DurableStateFile.open(stateDir.resolve(FILE_NAME));
        FailoverState s = new FailoverState(f);
        try {
            Optional<byte[]> value = f.read();
            if (value.isPresent()) {
                ByteBuffer b = ByteBuffer.wrap(value.get());
                if (b.remaining() < 5 || b.getShort(0) != VERSION) {
                    throw new IOException(f.path() + ": fail-over state of version " + (b.remaining() >= 2
                            ? b.getShort(0) : -1) + " and " + b.remaining() + " bytes is not supported (this build"
                            + " reads version " + VERSION + ")");
                }
                int flags = b.get(2);
                int length = b.getShort(3) & 0xffff;
                if (b.remaining() != 5 + length || (flags & ~VOLUME_FAILED) != 0) {
                    throw new IOException(f.path() + ": malformed fail-over state (flags 0x"
                            + Integer.toHexString(flags) + ", reason length " + length + ", " + b.remaining() + " bytes)");
                }
                s.volumeFailed = (flags & VOLUME_FAILED) != 0;
                s.reason = new String(value.get(), 5, length, StandardCharsets.UTF_8);
            }
        } catch (IOException | RuntimeException e) {
            f.close();
            throw e;
        }
        return s;
    }

    public synchronized boolean volumeFailed() {
        return volumeFailed;
    }

    public synchronized String reason() {
        return reason;
    }

    /** Persists "the local volume failed" (durable when this returns). */
    public synchronized void markFailed(String why) throws IOException {
        write(true, why);
    }

    /** Persists "the local volume is whole again" (after a replacement was resynchronised). */
    public synchronized void clear() throws IOException {
        write(false, "");
    }

    private void write(boolean failed, String why) throws IOException {
        byte[] text = why.getBytes(StandardCharsets.UTF_8);
        int length = Math.min(text.length, MAX_REASON_BYTES);
        ByteBuffer b = ByteBuffer.allocate(5 + length);
        b.putShort(VERSION).put((byte) (failed ? VOLUME_FAILED : 0)).putShort((short) length).put(text, 0, length);
        file.write(b.array());
        volumeFailed = failed;
        reason = new String(text, 0, length, StandardCharsets.UTF_8);
    }

    public Path path() {
        return file.path();
    }

    @Override
    public void close() throws IOException {
        file.close();
    }
}
