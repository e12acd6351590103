package org.blockmirror.alert;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the configured hook command ({@code alert.hook}) for every alert change.
 *
 * <p>The command gets the event as arguments — {@code <KIND> raised|cleared <volume-id>
 * <message>} — and in its environment ({@code BLOCKMIRROR_EVENT}, {@code _STATE},
 * {@code _VOLUME}, {@code _ROLE}, {@code _MESSAGE}, {@code _TIME}). One worker thread runs the
 * hooks one after the other, in the order of the changes, so a slow hook delays later hooks
 * but never the daemon: {@link #onAlert} only queues. A hook still running after the timeout is
 * killed (with its children). Its exit status and the first line of its output (stdout and
 * stderr together) are logged; a hook that cannot be started, fails or hangs changes nothing
 * else.
 */
public final class AlertHook implements AlertListener, AutoCloseable {

    /** Events queued beyond this (a hook far slower than the alerts) are dropped with a warning. */
    public static final int MAX_QUEUED = 1000;

    private static final Logger log = LoggerFactory.getLogger(AlertHook.class);

    private final Path command;
    private final long timeoutMs;
    private final LinkedBlockingQueue<AlertEvent> queue = new LinkedBlockingQueue<>(MAX_QUEUED);
    private final Thread worker;
    private final AtomicLong submitted = new AtomicLong();
    private final AtomicLong finished = new AtomicLong();
    private volatile boolean closed;

    /** Starts the worker thread. */
    public AlertHook(Path command, long timeoutMs) {
        this.command = command;
        this.timeoutMs = timeoutMs;
        this.worker = new Thread(this::work, "alert-hook");
        this.worker.setDaemon(true);
        this.worker.start();
    }

    /** The configured hook, or {@link AlertListener#NONE} when none is configured. */
    public static AlertListener of(AlertConfig config) {
        return config.hook() == null ? AlertListener.NONE : new AlertHook(config.hook(), config.hookTimeoutMs());
    }

    /** Queues the event; never blocks. */
    @Override
    public void onAlert(AlertEvent event) {
        if (closed) {
            return;
        }
        if (queue.offer(event)) {
            submitted.incrementAndGet();
        } else {
            log.warn("alert hook {} is behind by {} events; not running it for {} {}", command, MAX_QUEUED,
                    event.kind(), event.state().word());
        }
    }

    /** Hook runs completed (whatever their outcome): for tests and status. */
    public long finished() {
        return finished.get();
    }

    private void work() {
        while (true) {
            AlertEvent event;
            try {
                event = queue.take();
            } catch (InterruptedException e) {
                return;
            }
            try {
                run(event);
            } catch (InterruptedException e) {
                return;
            } finally {
                finished.incrementAndGet();
            }
        }
    }

    private void run(AlertEvent e) throws InterruptedException {
        String what = command + " " + e.kind() + " " + e.state().word();
        HookProcess.Outcome o = HookProcess.run(
                List.of(command.toString(), e.kind().name(), e.state().word(), e.volumeId(), e.message()),
                Map.of("BLOCKMIRROR_EVENT", e.kind().name(),
                        "BLOCKMIRROR_STATE", e.state().word(),
                        "BLOCKMIRROR_VOLUME", e.volumeId(),
                        "BLOCKMIRROR_ROLE", e.role(),
                        "BLOCKMIRROR_MESSAGE", e.message(),
                        "BLOCKMIRROR_TIME", Instant.ofEpochMilli(e.timeMillis()).toString()),
                timeoutMs);
        switch (o.ending()) {
            case NOT_STARTED -> log.warn("alert hook {}: {}", what, o.detail());
            case TIMED_OUT -> log.warn("alert hook {}: killed after {} ms (alert.hook-timeout-ms); output: {}", what,
                    o.millis(), o.detail());
            case EXITED -> {
                if (o.exitStatus() != 0) {
                    log.warn("alert hook {}: exit status {} after {} ms; output: {}", what, o.exitStatus(), o.millis(),
                            o.detail());
                } else {
                    log.info("alert hook {}: exit status 0 after {} ms; output: {}", what, o.millis(), o.detail());
                }
            }
        }
    }

    /** Lets the hooks already queued run (each within its timeout), then stops the worker. */
    @Override
    public void close() throws InterruptedException {
        closed = true;
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs + 2_000);
        while (finished.get() < submitted.get() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        int dropped = queue.size();
        queue.clear();
        worker.interrupt(); // kills a hook still running
        worker.join(10_000);
        if (dropped > 0) {
            log.warn("alert hook {}: {} queued event(s) not run at shutdown", command, dropped);
        }
    }
}
