package org.blockmirror.tcmu;

import java.io.Closeable;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;

import org.blockmirror.scsi.ScsiCommandHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One served TCMU backstore: a thread that waits for the kernel's uio events and runs the
 * {@link TcmuRing}, which hands commands to a {@link ScsiCommandHandler}.
 *
 * <p>Lifecycle: {@link #start} attaches to the ring and starts the thread. If the ring turns out
 * malformed, or the uio fd fails, the thread stops and {@link #terminated()} completes
 * exceptionally with the reason; nothing more is written to the mapping. {@link #close()} (always
 * needed, idempotent) stops the thread, gives in-flight commands a bounded time to be answered,
 * closes the ring, then unmaps and closes the device, in that order.
 */
public final class TcmuDevice implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TcmuDevice.class);

    /** How long to wait for the kernel per loop turn; also bounds how long close waits for the loop. */
    public static final int DEFAULT_POLL_MILLIS = 200;
    /** How long close lets in-flight commands finish before dropping their answers. */
    public static final long DEFAULT_DRAIN_MILLIS = 5_000;

    private final String name;
    private final TcmuRing ring;
    private final UioEvents events;
    private final Closeable mapping;
    private final int pollMillis;
    private final long drainMillis;
    private final Thread thread;
    private final CompletableFuture<Void> terminated = new CompletableFuture<>();
    private volatile boolean running = true;
    private boolean closed; // guarded by this

    private TcmuDevice(String name, TcmuRing ring, UioEvents events, Closeable mapping, int pollMillis,
                       long drainMillis) {
        this.name = name;
        this.ring = ring;
        this.events = events;
        this.mapping = mapping;
        this.pollMillis = pollMillis;
        this.drainMillis = drainMillis;
        this.thread = new Thread(this::run, "tcmu-" + name);
        this.thread.setDaemon(true);
    }

    /** Serves an opened uio device; closing the TcmuDevice closes the UioDevice. */
    public static TcmuDevice start(String name, UioDevice uio, ScsiCommandHandler handler) throws IOException {
        return start(name, uio.memory(), uio, uio, handler, DEFAULT_POLL_MILLIS, DEFAULT_DRAIN_MILLIS);
    }

    /**
     * Serves a ring in {@code memory}, signalled through {@code events}; {@code mapping} is closed
     * last, when nothing touches the memory any more.
     *
     * @throws TcmuRingException if the mailbox is not one we understand (mapping is then closed)
     */
    public static TcmuDevice start(String name, RingMemory memory, UioEvents events, Closeable mapping,
                                   ScsiCommandHandler handler, int pollMillis, long drainMillis)
            throws IOException {
        TcmuRing ring;
        try {
            ring = TcmuRing.attach(name, memory, handler, events);
        } catch (TcmuRingException e) {
            mapping.close();
            throw e;
        }
        TcmuDevice device = new TcmuDevice(name, ring, events, mapping, pollMillis, drainMillis);
        device.thread.start();
        return device;
    }

    public TcmuRing ring() {
        return ring;
    }

    /** Completes when the event loop ends: normally after close, exceptionally if the ring or fd failed. */
    public CompletableFuture<Void> terminated() {
        return terminated;
    }

    private void run() {
        try {
            while (running) {
                // Read the ring on every turn, not only after an event: cheap, and immune to a
                // lost wake-up.
                ring.processNewEntries();
                events.awaitEvent(pollMillis);
            }
            terminated.complete(null);
        } catch (IOException | RuntimeException e) {
            log.error("{}: TCMU device stopped: {}", name, e.getMessage(), e);
            ring.close();
            terminated.completeExceptionally(e);
        }
    }

    @Override
    public synchronized void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        running = false;
        boolean drained = false;
        try {
            thread.join();
            drained = ring.awaitDrained(drainMillis);
            if (!drained) {
                log.warn("{}: {} commands still in flight after {} ms", name, ring.inFlight(), drainMillis);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            ring.close();
            if (drained) {
                mapping.close();
            } else {
                // their handlers may still read data-out lent from the mapping: unmapping it now
                // could crash the process; the mapping and the uio fd stay until it exits
                log.warn("{}: leaving the ring mapped while commands are in flight", name);
            }
            terminated.complete(null);
        }
        log.info("{}: TCMU device closed", name);
    }
}
