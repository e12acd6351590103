package org.blockmirror.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.blockmirror.local.LocalStatus;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code blockmirror demo}: a local and a remote unit on loopback with file volumes, a random
 * write workload, one link cut longer than the heartbeat timeout, probation, replay, and a
 * byte-for-byte comparison of the two volumes at the end (exit 0 only if identical).
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run a local + remote pair on loopback, cut the link under load, and check the copies match.")
final class DemoCommand implements Callable<Integer> {

    @Option(names = "--dir", description = "working directory (default: a new temporary directory, removed afterwards)")
    Path dir;

    @Option(names = "--volume-size", defaultValue = "256", description = "volume size in MiB (default ${DEFAULT-VALUE})")
    int volumeMiB;

    @Option(names = "--connections", defaultValue = "4", description = "TCP connections (default ${DEFAULT-VALUE})")
    int connections;

    @Option(names = "--cut-seconds", defaultValue = "6", description = "how long the link is cut (default ${DEFAULT-VALUE})")
    int cutSeconds;

    @Option(names = "--rate", defaultValue = "16", description = "host write rate in MiB/s (default ${DEFAULT-VALUE}; 0 = unlimited)")
    int rateMiB;

    @Option(names = "--fast-heartbeats", description = "heartbeat timings scaled down 5x (0.3 s / 0.8 s / 2 s probation)")
    boolean fast;

    @Override
    public Integer call() throws Exception {
        boolean temporary = dir == null;
        Path work = temporary ? Files.createTempDirectory("blockmirror-demo") : dir;
        LoopbackPair.Options options = LoopbackPair.Options.defaults()
                .withVolumeBytes((long) volumeMiB << 20).withConnections(connections);
        if (fast) {
            options = options.withHeartbeat(300, 800, 2000);
        }
        long timeoutMs = options.heartbeatTimeoutMs();
        long cutMs = Math.max(cutSeconds * 1000L, timeoutMs + 1500);
        say("working directory " + work + "; volumes of " + volumeMiB + " MiB, " + connections
                + " connections; heartbeat every " + options.heartbeatIntervalMs() + " ms, timeout " + timeoutMs
                + " ms, probation " + options.probationMs() + " ms");
        int exit;
        try (LoopbackPair pair = LoopbackPair.start(work, options)) {
            say("status while it runs: blockmirror status --config " + pair.localConfig());
            WriteWorkload workload = new WriteWorkload(pair.local().device(), 16, 16, System.nanoTime(), null)
                    .limitRate((long) rateMiB << 20);
            Thread writer = new Thread(() -> {
                try {
                    workload.run(1, TimeUnit.HOURS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "demo-workload");
            writer.start();

            waitFor(pair, workload, "link up and streaming", 30,
                    () -> "STREAMING".equals(pair.local().status().replication().phase()));
            progressFor(pair, workload, 3);
            say("cutting the link for " + cutMs / 1000.0 + " s (heartbeat timeout is " + timeoutMs + " ms)");
            pair.link().cut();
            progressFor(pair, workload, cutMs / 1000.0);
            say("restoring the link; the units must see " + options.probationMs()
                    + " ms of uninterrupted heartbeats before reconnecting");
            pair.link().restore();
            waitFor(pair, workload, "probation, reconnect and replay", 120,
                    () -> "STREAMING".equals(pair.local().status().replication().phase())
                            && pair.local().status().replication().connectionsUp() == connections);
            progressFor(pair, workload, 2);
            workload.stop();
            writer.join();
            say("workload stopped: " + workload.writesAcked() + " writes (" + (workload.bytesAcked() >> 20)
                    + " MiB) acknowledged, " + workload.writesFailed() + " failed");
            if (!pair.local().awaitDrained(120, TimeUnit.SECONDS)) {
                say("FAILED: the journal did not drain within 120 s");
                return 1;
            }
            LocalStatus s = pair.local().status();
            say("drained: remote applied seq " + s.replication().ackedSeq() + "; comparing volumes");
            long diff = pair.firstDifference();
            say(diff < 0 ? "local and remote volumes are byte-for-byte identical"
                    : "volumes differ at byte offset " + diff);
            if (workload.writesFailed() > 0) {
                say(workload.writesFailed() + " host writes failed: " + workload.firstFailure());
            }
            exit = diff < 0 && workload.writesFailed() == 0 ? 0 : 1;
            say(exit == 0 ? "OK" : "FAILED");
        } finally {
            if (temporary) {
                deleteTree(work);
            }
        }
        return exit;
    }

    private static void waitFor(LoopbackPair pair, WriteWorkload w, String what, int maxSeconds,
                                BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(maxSeconds);
        long nextLine = 0;
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("timed out after " + maxSeconds + " s waiting for " + what);
            }
            if (System.nanoTime() >= nextLine) {
                progress(pair, w);
                nextLine = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
            }
            Thread.sleep(50);
        }
        progress(pair, w);
    }

    private static void progressFor(LoopbackPair pair, WriteWorkload w, double seconds) throws InterruptedException {
        long end = System.nanoTime() + (long) (seconds * 1e9);
        while (System.nanoTime() < end) {
            progress(pair, w);
            Thread.sleep(Math.min(1000, Math.max(1, (end - System.nanoTime()) / 1_000_000)));
        }
    }

    private static void progress(LoopbackPair pair, WriteWorkload w) {
        LocalStatus s = pair.local().status();
        System.out.printf("  written %6d MiB (%d writes) | link %-9s | %d/%d conns | %-11s | journal %5.1f%% | lag %d records%n",
                w.bytesAcked() >> 20, w.writesAcked(), s.link().state(), s.replication().connectionsUp(),
                s.replication().connectionsConfigured(), s.replication().phase(), s.journal().usedPercent(),
                s.lagRecords());
    }

    private static void say(String line) {
        System.out.println("demo: " + line);
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (Exception ignored) {
            // best effort clean-up of a temporary directory
        }
    }
}
