package org.blockmirror.cli;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.blockmirror.config.ConfigException;
import org.blockmirror.journal.Journal;
import org.blockmirror.journal.JournalOptions;
import org.blockmirror.local.LocalConfig;
import org.blockmirror.local.LocalStatus;
import org.blockmirror.time.MonotonicClock;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code blockmirror benchmark}: the foundation figures, all measured in one run on file volumes
 * in one directory (so on one disk):
 * <ol>
 *   <li>raw: sequential writes to a volume file with the volume stage's durability discipline;</li>
 *   <li>mirrored: the same bytes through the local unit's block device, remote on loopback,
 *       async acknowledgement — host-visible throughput, then the drain tail;</li>
 *   <li>the ratios mirrored/raw and mirrored/(raw/3), raw/3 being the disk-bound limit when
 *       every host byte is written three times on one disk (local volume, journal, remote volume);</li>
 *   <li>the time to drain a backlog written while the link was cut, with 1 and with n connections.</li>
 * </ol>
 * The method is written down in docs/performance.md.
 */
@Command(name = "benchmark", mixinStandardHelpOptions = true, sortOptions = false,
        subcommands = RemirrorBenchmarkCommand.class,
        description = {
                "Measure, in one run on file volumes: raw sequential write throughput of a volume file, "
                        + "host-visible async throughput through the local unit with the remote on loopback, "
                        + "their ratio (target: mirrored >= 0.8 x raw/3), and the time to drain a backlog "
                        + "with 1 and n connections. Method: docs/performance.md.",
                "Files (volumes, journal) go to a new subdirectory of --dir, removed afterwards. "
                        + "Logging: BLOCKMIRROR_LOG=warn keeps the table readable."})
final class BenchmarkCommand implements Callable<Integer> {

    /** Fast heartbeats: a cut is noticed within a second and probation lasts one second. */
    private static final long HEARTBEAT_INTERVAL_MS = 250;
    private static final long HEARTBEAT_TIMEOUT_MS = 1000;
    private static final long PROBATION_MS = 1000;
    /** The local unit's default group-commit batch (journal.group-commit-bytes). */
    private static final long GROUP_COMMIT_BYTES = 8L << 20;
    private static final int BLOCK_SIZE = 4096;

    @Option(names = "--dir", defaultValue = "/var/tmp", paramLabel = "DIR",
            description = "where the volume files and the journal go (the disk being measured); "
                    + "a new subdirectory is made and removed afterwards (default ${DEFAULT-VALUE})")
    Path parent;

    @Option(names = "--size", defaultValue = "1G", converter = SizeConverter.class, paramLabel = "BYTES",
            description = "bytes written per throughput measurement (default ${DEFAULT-VALUE}; K/M/G suffixes)")
    long size;

    @Option(names = "--block", defaultValue = "1M", converter = SizeConverter.class, paramLabel = "BYTES",
            description = "size of each write, a multiple of 4 KiB (default ${DEFAULT-VALUE})")
    long block;

    @Option(names = "--queue-depth", defaultValue = "8", paramLabel = "N",
            description = "host writes in flight (default ${DEFAULT-VALUE})")
    int queueDepth;

    @Option(names = "--connections", defaultValue = "4", paramLabel = "N",
            description = "TCP connections for the mirrored measurement and the second drain (default ${DEFAULT-VALUE})")
    int connections;

    @Option(names = "--backlog", defaultValue = "1G", converter = SizeConverter.class, paramLabel = "BYTES",
            description = "backlog written while the link is cut, then drained (default ${DEFAULT-VALUE}; 0 skips the drain)")
    long backlog;

    @Option(names = "--cpu-breakdown",
            description = "also print CPU seconds per thread group for the mirrored run and the drains")
    boolean cpuBreakdown;

    @Override
    public Integer call() throws Exception {
        String problem = checkOptions();
        if (problem != null) {
            System.err.println("benchmark: " + problem);
            return BlockmirrorCommand.EXIT_BAD_CONFIG;
        }
        Files.createDirectories(parent);
        Path work = Files.createTempDirectory(parent, "blockmirror-bench-");
        try {
            return run(work);
        } finally {
            deleteTree(work);
        }
    }

    private String checkOptions() {
        if (block < BLOCK_SIZE || block % BLOCK_SIZE != 0 || block > (64L << 20)) {
            return "--block must be a multiple of 4 KiB between 4 KiB and 64 MiB, got " + block;
        }
        if (size < block) {
            return "--size (" + size + ") must be at least one write (--block " + block + ")";
        }
        if (queueDepth < 1 || queueDepth > 1024) {
            return "--queue-depth must be between 1 and 1024, got " + queueDepth;
        }
        if (connections < 1 || connections > 64) {
            return "--connections must be between 1 and 64, got " + connections;
        }
        if (backlog < 0 || (backlog > 0 && backlog < block)) {
            return "--backlog must be 0 (no drain measurement) or at least one write (--block " + block + ")";
        }
        return null;
    }

    private int run(Path work) throws Exception {
        long volumeBytes = roundUp(Math.max(size, backlog), 1 << 20);
        long journalBytes = Math.max(256L << 20, roundUp(volumeBytes * 3 / 2, 1 << 20));
        long syncEvery = Math.min(GROUP_COMMIT_BYTES, Math.max(block, queueDepth * block));
        List<ByteBuffer> payloads = payloads((int) block, 4);
        FileStore store = Files.getFileStore(work);
        say(String.format(Locale.ROOT, "%d cores (%s %s, Java %s); files in %s on %s (%s)",
                Runtime.getRuntime().availableProcessors(), System.getProperty("os.name"),
                System.getProperty("os.version"), System.getProperty("java.version"), work, store.name(),
                store.type()));
        say("writes of " + SizeConverter.format(block) + " at queue depth " + queueDepth + ", "
                + SizeConverter.format(size) + " per measurement; volumes of " + SizeConverter.format(volumeBytes)
                + ", journal of " + SizeConverter.format(journalBytes));

        // 1. raw
        Path raw = work.resolve("raw.vol");
        say("preparing " + raw + " (allocating every block first)");
        preallocate(raw, volumeBytes);
        double loadBefore = loadAverage();
        CpuMeter rawCpu = new CpuMeter();
        RawFileWriter.Result rawBefore = RawFileWriter.write(raw, payloads.get(0), size, syncEvery);
        double rawCpuSeconds = rawCpu.stop().processSeconds();
        say(String.format(Locale.ROOT, "raw: %.1f MiB/s (%d fdatasyncs)", rawBefore.mibPerSecond(), rawBefore.syncs()));

        // 2. mirrored
        LoopbackPair.Options options = LoopbackPair.Options.defaults().withVolumeBytes(volumeBytes)
                .withJournalBytes(journalBytes).withConnections(connections)
                .withHeartbeat(HEARTBEAT_INTERVAL_MS, HEARTBEAT_TIMEOUT_MS, PROBATION_MS);
        Path pairDir = work.resolve("pair");
        say("preparing the loopback pair in " + pairDir + " (allocating volumes and journal)");
        MirroredResult direct;
        MirroredResult simulated;
        try (LoopbackPair pair = LoopbackPair.prepare(pairDir, options)) {
            preformatJournal(pair);
            pair.startRemote();
            pair.startLocal();
            simulated = measureMirrored(pair, payloads, "through the link simulator");
            // The same pair with the local unit pointed straight at the remote's port: loopback TCP
            // without the simulator's user-space relay, as between two real hosts.
            pair.stopLocal();
            connectDirectly(pair);
            pair.startLocal();
            direct = measureMirrored(pair, payloads, "direct loopback TCP");
        }

        // raw again, right after: the disk and the machine drift, the mean of both brackets the mirrored run
        RawFileWriter.Result rawAfter = RawFileWriter.write(raw, payloads.get(0), size, syncEvery);
        Files.delete(raw);
        double loadAfter = loadAverage();
        say(String.format(Locale.ROOT, "raw again: %.1f MiB/s", rawAfter.mibPerSecond()));

        // 3. backlog drains, fresh daemons on the same (already allocated) files
        List<DrainResult> drains = new ArrayList<>();
        if (backlog > 0) {
            for (int n : connections == 1 ? new int[] {1} : new int[] {1, connections}) {
                try (LoopbackPair pair = LoopbackPair.prepare(pairDir, options.withConnections(n))) {
                    pair.startRemote();
                    pair.startLocal();
                    DrainResult d = measureDrain(pair, n, payloads);
                    drains.add(d);
                    say(String.format(Locale.ROOT, "drain n=%d: %.2f s from the session to drained (%.1f MiB/s)",
                            n, d.sessionToDrainedSeconds(), d.drainMiBPerSecond()));
                }
            }
        }

        List<MirroredResult> mirrored = List.of(direct, simulated);
        printTable(store, rawBefore, rawCpuSeconds, rawAfter, syncEvery, mirrored, drains, loadBefore, loadAfter);
        boolean failed = mirrored.stream().anyMatch(m -> m.host().failures() > 0 || !m.identical())
                || drains.stream().anyMatch(d -> d.written().failures() > 0);
        return failed ? BlockmirrorCommand.EXIT_FAILURE : 0;
    }

    // ---- measurements ----

    record MirroredResult(String how, SequentialWriter.Result host, long drainedNanos, CpuMeter.Usage cpu, boolean identical) {

        double drainTailSeconds() {
            return (drainedNanos - host.lastAckNanos()) / 1e9;
        }

        double endToEndSeconds() {
            return (drainedNanos - host.firstSubmitNanos()) / 1e9;
        }
    }

    private MirroredResult measureMirrored(LoopbackPair pair, List<ByteBuffer> payloads, String how)
            throws Exception {
        awaitStreaming(pair, connections);
        SequentialWriter writer = new SequentialWriter(pair.local().device(), queueDepth, payloads);
        // warm-up, not measured: the JIT compiles the write path here rather than during the run
        writer.write(0, Math.max(block, Math.min(size / 2, 512L << 20)));
        if (!pair.local().awaitDrained(600, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the journal did not drain within 600 s after the warm-up");
        }
        CpuMeter cpu = new CpuMeter();
        SequentialWriter.Result host = writer.write(0, size);
        if (!pair.local().awaitDrained(600, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the journal did not drain within 600 s after the mirrored run");
        }
        long drained = System.nanoTime();
        CpuMeter.Usage usage = cpu.stop();
        if (host.failures() > 0) {
            say(host.failures() + " host writes failed; first: " + host.firstFailure());
        }
        MirroredResult m = new MirroredResult(how, host, drained, usage, pair.firstDifference() < 0);
        say(String.format(Locale.ROOT, "mirrored, %s: %.1f MiB/s host-visible, drained %.2f s after the last ack; "
                + "remote copy %s", how, host.mibPerSecond(), m.drainTailSeconds(),
                m.identical() ? "identical" : "DIFFERS"));
        return m;
    }

    /** Rewrites the local unit's remote.address to the remote's own listening address. */
    private static void connectDirectly(LoopbackPair pair) throws IOException {
        String listen = Files.readAllLines(pair.remoteConfig()).stream()
                .filter(l -> l.startsWith("listen.address"))
                .map(l -> l.substring(l.indexOf('=') + 1).strip())
                .findFirst().orElseThrow(() -> new IllegalStateException("no listen.address in " + pair.remoteConfig()));
        List<String> local = Files.readAllLines(pair.localConfig()).stream()
                .map(l -> l.startsWith("remote.address") ? "remote.address = " + listen : l)
                .toList();
        Files.write(pair.localConfig(), local);
    }

    /**
     * @param restoreNanos when the link was restored
     * @param linkUpNanos  when the local unit saw the heartbeat link UP again (after probation)
     * @param sessionNanos when the replication session was open (the phase left CONNECTING)
     * @param drainedNanos when the remote had acknowledged every journal record
     */
    record DrainResult(int connections, SequentialWriter.Result written, long backlogBytes, long restoreNanos,
                       long linkUpNanos, long sessionNanos, long drainedNanos, CpuMeter.Usage cpu) {

        double restoreToDrainedSeconds() {
            return (drainedNanos - restoreNanos) / 1e9;
        }

        double restoreToLinkUpSeconds() {
            return (linkUpNanos - restoreNanos) / 1e9;
        }

        double restoreToSessionSeconds() {
            return (sessionNanos - restoreNanos) / 1e9;
        }

        double sessionToDrainedSeconds() {
            return (drainedNanos - sessionNanos) / 1e9;
        }

        double drainMiBPerSecond() {
            return written.bytes() / (1024.0 * 1024.0) / sessionToDrainedSeconds();
        }
    }

    private DrainResult measureDrain(LoopbackPair pair, int n, List<ByteBuffer> payloads) throws Exception {
        awaitStreaming(pair, n);
        pair.link().cut();
        SequentialWriter.Result written = new SequentialWriter(pair.local().device(), queueDepth, payloads)
                .write(0, backlog);
        if (written.failures() > 0) {
            say(written.failures() + " host writes failed while the link was cut; first: " + written.firstFailure());
        }
        // a full outage: the link declared down and the session gone before the link comes back
        await("the link to go down", 30, () -> {
            LocalStatus s = pair.local().status();
            return !"UP".equals(s.link().state()) && "WAITING_FOR_LINK".equals(s.replication().phase());
        });
        LocalStatus before = pair.local().status();
        long sessionsBefore = before.replication().sessionsOpened();
        long restore = System.nanoTime();
        CpuMeter cpu = new CpuMeter();
        pair.link().restore();
        long linkUp = -1;
        long session = -1;
        long deadline = restore + TimeUnit.SECONDS.toNanos(600);
        while (true) {
            LocalStatus s = pair.local().status();
            long now = System.nanoTime();
            if (linkUp < 0 && "UP".equals(s.link().state())) {
                linkUp = now;
            }
            if (session < 0 && s.replication().sessionsOpened() > sessionsBefore) {
                session = now;
                linkUp = linkUp < 0 ? now : linkUp;
            }
            if (session >= 0 && s.lagRecords() == 0) {
                return new DrainResult(n, written, before.lagBytes(), restore, linkUp, session, now, cpu.stop());
            }
            if (now > deadline) {
                throw new IllegalStateException("the backlog did not drain within 600 s (n=" + n + ")");
            }
            Thread.sleep(5);
        }
    }

    private static void awaitStreaming(LoopbackPair pair, int n) throws InterruptedException {
        await("the pair to connect and stream (" + n + " connections)", 60, () -> {
            LocalStatus s = pair.local().status();
            return "STREAMING".equals(s.replication().phase()) && s.replication().connectionsUp() == n
                    && s.lagRecords() == 0;
        });
    }

    private static void await(String what, int seconds, BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("timed out after " + seconds + " s waiting for " + what);
            }
            Thread.sleep(10);
        }
    }

    // ---- set-up ----

    /** Write contents: pseudo-random (nothing compresses or dedupes them), made once, reused. */
    private static List<ByteBuffer> payloads(int bytes, int count) {
        SplittableRandom random = new SplittableRandom(0x5EED);
        List<ByteBuffer> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            ByteBuffer b = ByteBuffer.allocate(bytes);
            while (b.hasRemaining()) {
                b.putLong(random.nextLong());
            }
            out.add(b.flip());
        }
        return out;
    }

    /**
     * Formats the journal over an allocated file before the local unit first opens it, so the
     * measured lap does not pay for block allocation (the volumes are allocated the same way).
     * The journal options are the ones {@code LocalDaemon} opens it with (label, record size).
     */
    private static void preformatJournal(LoopbackPair pair) throws IOException {
        LocalConfig config;
        try {
            config = LocalConfig.load(pair.localConfig());
        } catch (ConfigException e) {
            throw new IllegalStateException("generated local configuration is invalid: " + e.getMessage(), e);
        }
        preallocate(config.journalPath(), config.journalSize());
        JournalOptions journalOptions = JournalOptions.of(config.common().blockSize())
                .withLabel(config.common().volumeId()).withMaxRecordDataBytes(config.maxRecordBytes());
        Journal.format(config.journalPath(), config.journalSize(), journalOptions, MonotonicClock.system()).close();
    }

    private static void preallocate(Path file, long bytes) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ByteBuffer zeros = ByteBuffer.allocateDirect(1 << 20);
            for (long pos = 0; pos < bytes; pos += zeros.capacity()) {
                zeros.clear().limit((int) Math.min(zeros.capacity(), bytes - pos));
                while (zeros.hasRemaining()) {
                    ch.write(zeros, pos + zeros.position());
                }
            }
            ch.force(false);
        }
    }

    private static long roundUp(long v, long unit) {
        return (v + unit - 1) / unit * unit;
    }

    // ---- output ----

    private void printTable(FileStore store, RawFileWriter.Result rawBefore, double rawCpuSeconds,
                            RawFileWriter.Result rawAfter,
                            long syncEvery, List<MirroredResult> mirrored, List<DrainResult> drains,
                            double loadBefore, double loadAfter) {
        double rawMiB = (rawBefore.mibPerSecond() + rawAfter.mibPerSecond()) / 2;
        double limit = rawMiB / 3;
        System.out.println();
        System.out.printf(Locale.ROOT, "blockmirror benchmark: %d cores, %s (%s); %s writes at QD %d, %s per run; "
                        + "load average %.1f before, %.1f after%n",
                Runtime.getRuntime().availableProcessors(), store.name(), store.type(), SizeConverter.format(block),
                queueDepth, SizeConverter.format(size), loadBefore, loadAfter);
        String rule = "-".repeat(100);
        System.out.println(rule);
        System.out.printf(Locale.ROOT, "%-62s %9s %9s %8s %9s%n", "measurement", "seconds", "MiB/s", "CPU s", "CPU s/GiB");
        System.out.println(rule);
        String rawName = "raw: sequential writes, fdatasync every " + SizeConverter.format(syncEvery);
        System.out.printf(Locale.ROOT, "%-62s %9.2f %9.1f %8.2f %9.2f%n", rawName + " (before)", rawBefore.seconds(),
                rawBefore.mibPerSecond(), rawCpuSeconds, rawCpuSeconds / (rawBefore.bytes() / (double) (1L << 30)));
        System.out.printf(Locale.ROOT, "%-62s %9.2f %9.1f%n", rawName + " (after)", rawAfter.seconds(),
                rawAfter.mibPerSecond());
        System.out.printf(Locale.ROOT, "%-62s %9s %9.1f%n", "raw: mean", "", rawMiB);
        for (MirroredResult m : mirrored) {
            double gib = m.host().bytes() / (double) (1L << 30);
            System.out.printf(Locale.ROOT, "%-62s %9.2f %9.1f%n",
                    "mirrored async n=" + connections + ", " + m.how() + ": host-visible", m.host().seconds(),
                    m.host().mibPerSecond());
            System.out.printf(Locale.ROOT, "%-62s %9.2f%n", "  drain tail (last ack..remote durable)",
                    m.drainTailSeconds());
            System.out.printf(Locale.ROOT, "%-62s %9.2f %9.1f %8.2f %9.2f%n",
                    "  end to end (1st submit..remote durable)", m.endToEndSeconds(),
                    m.host().bytes() / 1048576.0 / m.endToEndSeconds(), m.cpu().processSeconds(),
                    m.cpu().processSeconds() / gib);
            System.out.printf(Locale.ROOT, "%-62s %9s%n", "  remote copy byte-for-byte identical",
                    m.identical() ? "yes" : "NO");
        }
        System.out.println(rule);
        System.out.printf(Locale.ROOT, "raw/3 (each host byte written 3 times on this disk) = %.1f MiB/s%n", limit);
        for (MirroredResult m : mirrored) {
            double hostMiB = m.host().mibPerSecond();
            System.out.printf(Locale.ROOT, "%-30s mirrored/raw %6.3f   mirrored/(raw/3) %6.3f   target >= 0.80: %s%n",
                    m.how(), hostMiB / rawMiB, hostMiB / limit, hostMiB / limit >= 0.8 ? "met" : "NOT met");
        }
        if (!drains.isEmpty()) {
            System.out.println(rule);
            System.out.printf(Locale.ROOT, "backlog of %s written with the link cut, then the link restored "
                    + "(heartbeat %d ms, timeout %d ms, probation %d ms)%n", SizeConverter.format(backlog),
                    HEARTBEAT_INTERVAL_MS, HEARTBEAT_TIMEOUT_MS, PROBATION_MS);
            System.out.printf(Locale.ROOT, "%-3s %16s %12s %12s %16s %12s %14s %10s%n", "n", "cut: host MiB/s",
                    "->link UP s", "->session s", "session->done s", "drain MiB/s", "restore->done s", "CPU s/GiB");
            for (DrainResult d : drains) {
                System.out.printf(Locale.ROOT, "%-3d %16.1f %12.2f %12.2f %16.2f %12.1f %14.2f %10.2f%n",
                        d.connections(), d.written().mibPerSecond(), d.restoreToLinkUpSeconds(),
                        d.restoreToSessionSeconds(), d.sessionToDrainedSeconds(), d.drainMiBPerSecond(),
                        d.restoreToDrainedSeconds(), d.cpu().processSeconds() / (d.written().bytes() / (double) (1L << 30)));
            }
        }
        System.out.println(rule);
        if (cpuBreakdown) {
            for (MirroredResult m : mirrored) {
                printBreakdown("mirrored, " + m.how() + " (1st submit..remote durable)", m.cpu());
            }
            for (DrainResult d : drains) {
                printBreakdown("drain n=" + d.connections() + " (restore..drained)", d.cpu());
            }
        }
    }

    private static void printBreakdown(String what, CpuMeter.Usage usage) {
        System.out.printf(Locale.ROOT, "CPU seconds, %s: process %.2f%n", what, usage.processSeconds());
        usage.secondsByThreadGroup().entrySet().stream()
                .filter(e -> e.getValue() >= 0.01)
                .sorted(Map.Entry.<String, Double>comparingByValue().reversed())
                .forEach(e -> System.out.printf(Locale.ROOT, "  %-40s %8.2f%n", e.getKey(), e.getValue()));
    }

    /** The system's 1-minute load average: the machine may be shared, and it shows. */
    private static double loadAverage() {
        return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }

    private static void say(String line) {
        System.out.println("benchmark: " + line);
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort clean-up of a temporary directory
        }
    }
}
