package org.blockmirror.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * The local daemon killed with SIGKILL, again and again, in a child JVM ({@link CrashWorkloadMain})
 * while it takes random writes; then restarted once more here and drained to the remote (which
 * runs in this JVM the whole time). Afterwards the two volumes must be equal byte for byte, and
 * every write the child reported as acknowledged must still be there: each block holds the
 * newest acknowledged write that covered it, or a later write, and is never torn or foreign.
 *
 * <p>Iterations: {@code -Dblockmirror.crash.iterations} (the build sets it from
 * {@code -Dcrash.iterations}, default 20). The kill moments and link cuts are random; the seed
 * is printed and can be fixed with {@code -Dblockmirror.crash.seed} (timing still varies).
 */
class CrashRecoveryTest {

    private static final int ITERATIONS = Integer.getInteger("blockmirror.crash.iterations", 20);
    private static final int BLOCK_SIZE = 4096;
    private static final long VOLUME_BYTES = 32L << 20;
    private static final long JOURNAL_BYTES = 128L << 20;
    /** Paces the child: enough to keep ~16 writes in flight, little enough not to fill the journal. */
    private static final long WRITE_RATE = 6L << 20;
    private static final long SIGKILL_EXIT = 128 + 9;
    /** Longer than a local restart takes: the remote does not notice the crash. */
    private static final long REMOTE_PATIENT_TIMEOUT_MS = 2000;

    /** The newest acknowledged write of every block, fed by the children's ACK lines. */
    private static final class AckLog {
        private final long[] newestAcked;
        private long writes;

        AckLog(int blocks) {
            newestAcked = new long[blocks];
        }

        synchronized void acked(long id, long lba, int blocks) {
            for (int b = 0; b < blocks; b++) {
                int i = (int) (lba + b);
                newestAcked[i] = Math.max(newestAcked[i], id);
            }
            writes++;
        }

        synchronized long writes() {
            return writes;
        }

        synchronized long newest(long lba) {
            return newestAcked[(int) lba];
        }
    }

    /**
     * One child process. Its standard output goes to a file (a pipe read while the process is
     * killed can fail with "Stream closed"), polled for STARTED and parsed once it is dead.
     */
    private static final class Child {
        final int iteration;
        final Process process;
        final Path out;
        final Path log;

        Child(int iteration, Process process, Path out, Path log) {
            this.iteration = iteration;
            this.process = process;
            this.out = out;
            this.log = log;
        }

        /** Waits for the STARTED line; false on timeout or if the child died first. */
        boolean awaitStarted(long timeout, TimeUnit unit) throws IOException, InterruptedException {
            long deadline = System.nanoTime() + unit.toNanos(timeout);
            while (System.nanoTime() < deadline) {
                if (completeLines().contains(CrashWorkloadMain.STARTED)) {
                    return true;
                }
                if (!process.isAlive()) {
                    return false;
                }
                Thread.sleep(20);
            }
            return false;
        }

        /**
         * SIGKILL: on Linux {@link Process#destroyForcibly()} is kill(pid, SIGKILL) (the JDK's
         * ProcessHandleImpl.destroy0 with force = true), and a process killed by a signal
         * reports 128 + signal as its exit value, which the caller checks.
         */
        int kill() throws InterruptedException {
            process.destroyForcibly();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                throw new AssertionError("iteration " + iteration + ": child " + process.pid()
                        + " did not die within 30 s of SIGKILL");
            }
            try {
                process.getOutputStream().close(); // its standard input: the child watches it for our death
            } catch (IOException ignored) {
                // the pipe is gone with the child
            }
            return process.exitValue();
        }

        /**
         * Records every ACK line of the (dead) child.
         *
         * @return lines that are neither ACK nor STARTED (a broken child)
         */
        List<String> recordAcks(AckLog acks) throws IOException {
            List<String> garbage = new ArrayList<>();
            for (String line : completeLines()) {
                String[] f = line.split(" ");
                if (f.length == 1 && f[0].equals(CrashWorkloadMain.STARTED)) {
                    continue;
                }
                if (f.length == 4 && f[0].equals(CrashWorkloadMain.ACK)) {
                    acks.acked(Long.parseLong(f[1]), Long.parseLong(f[2]), Integer.parseInt(f[3]));
                } else {
                    garbage.add(line);
                }
            }
            return garbage;
        }

        /** Lines ended by a newline: one the kill cut short was never acknowledged to us. */
        private List<String> completeLines() throws IOException {
            String text = Files.readString(out, StandardCharsets.US_ASCII);
            int end = text.lastIndexOf('\n');
            return end < 0 ? List.of() : List.of(text.substring(0, end).split("\n"));
        }

        String logTail() {
            try {
                List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
                return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
            } catch (IOException e) {
                return "(cannot read " + log + ": " + e + ")";
            }
        }
    }

    /** Kept when the test fails: the children's logs (child-N.log) and the volumes tell why. */
    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path dir;

    @Test
    void everyAcknowledgedWriteSurvivesSigkillsOfTheLocalDaemon() throws Exception {
        long seed = Long.getLong("blockmirror.crash.seed", System.nanoTime());
        SplittableRandom random = new SplittableRandom(seed);
        String what = "crash test seed " + seed + ", " + ITERATIONS + " iterations, files in " + dir;
        long startNanos = System.nanoTime();

        LoopbackPair.Options options = LoopbackPair.Options.defaults()
                .withVolumeBytes(VOLUME_BYTES).withJournalBytes(JOURNAL_BYTES).withConnections(4)
                .withHeartbeat(50, 300, 250);
        AckLog acks = new AckLog((int) (VOLUME_BYTES / BLOCK_SIZE));
        Child child = null;
        int cutKills = 0;
        int earlyKills = 0;
        try (LoopbackPair pair = LoopbackPair.prepare(dir.resolve("pair"), options)) {
            // reconnect quickly once the remote's probation is over: iterations are short; and
            // in sync mode, do not hold host writes long while the link is cut
            Files.writeString(pair.localConfig(), "transport.reconnect-backoff-ms = 100\n"
                    + "ack.sync-timeout-ms = 300\n", StandardOpenOption.APPEND);
            pair.startRemote();
            int cutFor = 0; // iterations the link has been cut
            int syncRuns = 0;
            for (int i = 0; i < ITERATIONS; i++) {
                if (i == ITERATIONS / 2) {
                    // Second half: the remote (restarted, which it must survive too) waits longer
                    // for heartbeats than the local unit takes to restart, so it keeps the link UP
                    // and its state (writes held out of order) across local crashes.
                    pair.stopRemote();
                    setRemoteHeartbeatTimeout(pair, REMOTE_PATIENT_TIMEOUT_MS);
                    pair.startRemote();
                }
                // the operator may change the ack mode between restarts; both must keep every ACK
                boolean sync = random.nextBoolean();
                setAckMode(pair, sync ? "sync" : "async");
                syncRuns += sync ? 1 : 0;
                child = launch(pair, i, random.nextLong());
                boolean early = random.nextInt(5) == 0;
                if (early) {
                    // before or during start-up: JVM start, journal recovery, redo
                    earlyKills++;
                    Thread.sleep(random.nextLong(0, 1200));
                } else {
                    if (!child.awaitStarted(60, TimeUnit.SECONDS)) {
                        fail(what + ": iteration " + i + ": the local daemon did not start within 60 s; its log:\n"
                                + child.logTail());
                    }
                    long lifetime = random.nextLong(300, 1500);
                    // a cut held across kills leaves a backlog in the journal; not for long, or
                    // the journal fills up
                    boolean toggle = pair.link().isCut() ? cutFor >= 2 || random.nextInt(2) == 0 : random.nextInt(4) == 0;
                    if (toggle) {
                        long at = random.nextLong(lifetime);
                        Thread.sleep(at);
                        toggle(pair);
                        Thread.sleep(lifetime - at);
                    } else {
                        Thread.sleep(lifetime);
                    }
                }
                cutFor = pair.link().isCut() ? cutFor + 1 : 0;
                if (pair.link().isCut()) {
                    cutKills++;
                }
                int exit = child.kill();
                assertEquals(SIGKILL_EXIT, exit, what + ": iteration " + i + ": the child was not ended by SIGKILL");
                long before = acks.writes();
                List<String> garbage = child.recordAcks(acks);
                assertTrue(garbage.isEmpty(), what + ": iteration " + i + ": unexpected output " + garbage
                        + "; log:\n" + child.logTail());
                if (!early && !sync && acks.writes() == before) {
                    fail(what + ": iteration " + i + ": the child acknowledged no write; its log:\n" + child.logTail());
                }
                child = null;
            }

            pair.link().restore();
            pair.startLocal();
            boolean drained = pair.local().awaitDrained(90, TimeUnit.SECONDS);
            assertTrue(drained, what + ": the restarted local unit did not drain to the remote: "
                    + pair.local().status());
            pair.stopLocal();
            pair.stopRemote();

            assertTrue(acks.writes() >= ITERATIONS, what + ": only " + acks.writes()
                    + " acknowledged writes in all iterations: the test exercised nothing");
            List<String> problems = new ArrayList<>();
            long diff = pair.firstDifference();
            if (diff >= 0) {
                problems.add("local and remote volumes differ, first at byte " + diff + " (lba " + diff / BLOCK_SIZE
                        + "): local " + describe(pair.localVolume(), diff / BLOCK_SIZE) + ", remote "
                        + describe(pair.remoteVolume(), diff / BLOCK_SIZE));
            }
            problems.addAll(checkAcknowledgedWrites("local", pair.localVolume(), acks));
            if (diff >= 0) {
                problems.addAll(checkAcknowledgedWrites("remote", pair.remoteVolume(), acks));
            }
            if (!problems.isEmpty()) {
                fail(what + ": " + problems.size() + " problem(s):\n  "
                        + String.join("\n  ", problems.subList(0, Math.min(20, problems.size()))));
            }
            System.out.printf("%s: %d acknowledged writes survived %d SIGKILLs (%d early, %d with the link cut, %d in"
                            + " sync mode) in %.1f s%n", what, acks.writes(), ITERATIONS, earlyKills, cutKills, syncRuns,
                    (System.nanoTime() - startNanos) / 1e9);
        } finally {
            if (child != null) {
                child.process.destroyForcibly();
                child.process.waitFor(30, TimeUnit.SECONDS);
            }
        }
    }

    private Child launch(LoopbackPair pair, int iteration, long seed) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        long firstId = ((long) (iteration + 1) << 32) + 1;
        Path log = pair.dir().resolve("child-" + iteration + ".log");
        Path out = pair.dir().resolve("child-" + iteration + ".out");
        Process p = new ProcessBuilder(java, "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-Dblockmirror.test.log=INFO",
                // logback reports its own set-up on standard output, which carries only our lines
                "-Dlogback.statusListenerClass=ch.qos.logback.core.status.NopStatusListener",
                "-cp", System.getProperty("java.class.path"), CrashWorkloadMain.class.getName(),
                pair.localConfig().toString(), Long.toString(seed), Long.toString(firstId),
                Long.toString(WRITE_RATE))
                .redirectOutput(out.toFile())
                .redirectError(log.toFile())
                .start();
        return new Child(iteration, p, out, log);
    }

    private static void setAckMode(LoopbackPair pair, String mode) throws IOException {
        setConfig(pair.localConfig(), "ack.mode", mode);
    }

    private static void setRemoteHeartbeatTimeout(LoopbackPair pair, long millis) throws IOException {
        setConfig(pair.remoteConfig(), "heartbeat.timeout-ms", Long.toString(millis));
    }

    /** Replaces the line of {@code key} in a configuration file LoopbackPair wrote. */
    private static void setConfig(Path conf, String key, String value) throws IOException {
        String text = Files.readString(conf);
        String line = key + " = " + value;
        String changed = text.replaceAll("(?m)^" + Pattern.quote(key) + " = .*$", line);
        assertTrue(changed.contains(line), "no " + key + " line in " + conf);
        Files.writeString(conf, changed);
    }

    private static void toggle(LoopbackPair pair) {
        if (pair.link().isCut()) {
            pair.link().restore();
        } else {
            pair.link().cut();
        }
    }

    /**
     * Every block must hold the newest acknowledged write that covered it, or a newer write
     * (acknowledged or not; ids grow across iterations), intact: stamp (id, its own lba) and the
     * content {@link WriteWorkload#fill} gives for that stamp. Blocks no acknowledged write
     * covered may also be zero.
     */
    private static List<String> checkAcknowledgedWrites(String name, Path volume, AckLog acks) throws IOException {
        List<String> problems = new ArrayList<>();
        try (FileChannel ch = FileChannel.open(volume, StandardOpenOption.READ)) {
            ByteBuffer chunk = ByteBuffer.allocate(1 << 20);
            long blocks = VOLUME_BYTES / BLOCK_SIZE;
            for (long lba = 0; lba < blocks; lba++) {
                int inChunk = (int) (lba % (chunk.capacity() / BLOCK_SIZE));
                if (inChunk == 0) {
                    chunk.clear();
                    readFully(ch, chunk, lba * BLOCK_SIZE);
                }
                ByteBuffer block = chunk.duplicate().position(inChunk * BLOCK_SIZE).limit((inChunk + 1) * BLOCK_SIZE)
                        .slice();
                long expected = acks.newest(lba);
                String problem = checkBlock(block, lba, expected);
                if (problem != null) {
                    problems.add(name + " volume, lba " + lba + ": " + problem);
                }
            }
        }
        return problems;
    }

    private static String checkBlock(ByteBuffer block, long lba, long newestAcked) {
        long[] stamp = WriteWorkload.stamp(block);
        if (stamp == null) {
            if (newestAcked != 0) {
                return "expected write " + describeId(newestAcked) + " or newer, found no stamp ("
                        + (isZero(block) ? "all zero" : "stamp zero, rest not") + ")";
            }
            return isZero(block) ? null : "never written, yet not zero after a zero stamp";
        }
        long found = stamp[0];
        if (found < newestAcked) {
            return "expected write " + describeId(newestAcked) + " or newer, found older write " + describeId(found)
                    + ": an acknowledged write was lost";
        }
        if (stamp[1] != lba) {
            return "holds block lba " + stamp[1] + " of write " + describeId(found) + " (a misplaced block)";
        }
        if (!block.equals(WriteWorkload.fill(found, lba, 1, BLOCK_SIZE))) {
            return "stamped by write " + describeId(found) + " but its content is not that write's (torn block)"
                    + (newestAcked == 0 ? "" : "; newest acknowledged " + describeId(newestAcked));
        }
        return null;
    }

    private static String describe(Path volume, long lba) throws IOException {
        try (FileChannel ch = FileChannel.open(volume, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate(BLOCK_SIZE);
            readFully(ch, b, lba * BLOCK_SIZE);
            long[] stamp = WriteWorkload.stamp(b.flip());
            return stamp == null ? "no stamp" : "write " + describeId(stamp[0]) + " block lba " + stamp[1];
        }
    }

    /** Write ids are (iteration + 1) << 32 plus a counter from 1. */
    private static String describeId(long id) {
        return id + " (iteration " + ((id >>> 32) - 1) + ", write " + (id & 0xFFFFFFFFL) + ")";
    }

    private static boolean isZero(ByteBuffer block) {
        for (int i = block.position(); i < block.limit(); i++) {
            if (block.get(i) != 0) {
                return false;
            }
        }
        return true;
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long pos) throws IOException {
        int start = buf.position();
        while (buf.hasRemaining()) {
            if (ch.read(buf, pos + buf.position() - start) < 0) {
                throw new IOException("volume ends before byte " + (pos + buf.position() - start));
            }
        }
    }
}
