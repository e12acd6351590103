package org.blockmirror.remote;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.blockmirror.config.ConfigReader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code remirror.pre-hook} command: run, and waited for, before a remirror writes the first
 * block to a consistent copy, e.g. to snapshot it so a consistent image survives if the remirror
 * never finishes. A hook that cannot start, exits non-zero or outlives
 * {@code remirror.pre-hook-timeout-ms} refuses the remirror: nothing is written.
 *
 * <p>Called as {@code <command> REMIRROR_PRE <volume-id> <volume-path> <applied-seq>}, with
 * {@code BLOCKMIRROR_EVENT=REMIRROR_PRE}, {@code BLOCKMIRROR_VOLUME}, {@code BLOCKMIRROR_VOLUME_PATH},
 * {@code BLOCKMIRROR_APPLIED_SEQ}, {@code BLOCKMIRROR_SYNC_STATE} and {@code BLOCKMIRROR_ROLE=remote}
 * in its environment, as the alert hook is (org.blockmirror.alert.AlertHook).
 *
 * @param command   the executable, or null for none
 * @param timeoutMs a hook still running after this is killed and counts as failed
 */
public record PreInconsistencyHook(Path command, long timeoutMs) {

    public static final long DEFAULT_TIMEOUT_MS = 60_000;
    private static final Logger log = LoggerFactory.getLogger(PreInconsistencyHook.class);

    public static PreInconsistencyHook none() {
        return new PreInconsistencyHook(null, DEFAULT_TIMEOUT_MS);
    }

    static PreInconsistencyHook read(ConfigReader r) {
        return new PreInconsistencyHook(r.executable("remirror.pre-hook"),
                r.longInRange("remirror.pre-hook-timeout-ms", DEFAULT_TIMEOUT_MS, 100, 3_600_000));
    }

    /**
     * Runs the hook and waits for it.
     *
     * @return null when it succeeded (or none is configured), else why the remirror must be refused
     */
    String run(String volumeId, String volumePath, long appliedSeq, String syncState) throws InterruptedException {
        if (command == null) {
            return null;
        }
        Path output;
        try {
            output = Files.createTempFile("blockmirror-prehook", ".out");
        } catch (IOException e) {
            return "remirror.pre-hook " + command + ": cannot create a file for its output: " + e.getMessage();
        }
        try {
            ProcessBuilder pb = new ProcessBuilder(command.toString(), "REMIRROR_PRE", volumeId, volumePath,
                    Long.toString(appliedSeq))
                    .redirectErrorStream(true)
                    .redirectOutput(output.toFile());
            Map<String, String> env = pb.environment();
            env.put("BLOCKMIRROR_EVENT", "REMIRROR_PRE");
            env.put("BLOCKMIRROR_ROLE", "remote");
            env.put("BLOCKMIRROR_VOLUME", volumeId);
            env.put("BLOCKMIRROR_VOLUME_PATH", volumePath);
            env.put("BLOCKMIRROR_APPLIED_SEQ", Long.toString(appliedSeq));
            env.put("BLOCKMIRROR_SYNC_STATE", syncState);
            long started = System.nanoTime();
            Process p;
            try {
                p = pb.start();
            } catch (IOException e) {
                return "remirror.pre-hook " + command + " cannot be run: " + e.getMessage();
            }
            try {
                p.getOutputStream().close();
            } catch (IOException ignored) {
                // it exited already
            }
            boolean exited;
            try {
                exited = p.waitFor(timeoutMs, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                kill(p);
                throw e;
            }
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
            if (!exited) {
                kill(p);
                return "remirror.pre-hook " + command + " was killed after " + ms
                        + " ms (remirror.pre-hook-timeout-ms); output: " + firstLine(output);
            }
            if (p.exitValue() != 0) {
                return "remirror.pre-hook " + command + " failed with exit status " + p.exitValue() + "; output: "
                        + firstLine(output);
            }
            log.info("remirror.pre-hook {}: exit status 0 after {} ms; output: {}", command, ms, firstLine(output));
            return null;
        } finally {
            try {
                Files.deleteIfExists(output);
            } catch (IOException ignored) {
                // harmless
            }
        }
    }

    private static void kill(Process p) throws InterruptedException {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        p.waitFor(5, TimeUnit.SECONDS);
    }

    private static String firstLine(Path output) {
        try (InputStream in = Files.newInputStream(output)) {
            String text = new String(in.readNBytes(800), StandardCharsets.UTF_8);
            int eol = text.indexOf('\n');
            String line = (eol >= 0 ? text.substring(0, eol) : text).strip();
            return line.isEmpty() ? "(none)" : line.length() > 200 ? line.substring(0, 200) + "..." : line;
        } catch (IOException e) {
            return "(unreadable: " + e.getMessage() + ")";
        }
    }
}
