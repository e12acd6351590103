package org.blockmirror.alert;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs an operator's hook command once and waits for it, within a time limit: the alert hook
 * and the remirror pre-hook share this. Output (stdout and stderr) goes to a temporary file, not
 * a pipe, so a hook whose children keep the pipe open cannot hang the daemon; the first line is
 * kept for the log. A hook still running at the limit, or when the caller is interrupted, is
 * killed with its descendants.
 */
public final class HookProcess {

    private static final int MAX_LOGGED_CHARS = 200;

    /** How a run ended. */
    public enum Ending { EXITED, TIMED_OUT, NOT_STARTED }

    /**
     * @param ending     how it ended
     * @param exitStatus the exit status when it EXITED (else -1)
     * @param millis     how long it ran
     * @param detail     the first line of its output, or why it could not be started
     */
    public record Outcome(Ending ending, int exitStatus, long millis, String detail) {

        public boolean succeeded() {
            return ending == Ending.EXITED && exitStatus == 0;
        }
    }

    private HookProcess() {
    }

    /**
     * Runs {@code argv} with {@code env} added to the daemon's environment.
     *
     * @throws InterruptedException if interrupted while waiting (the hook is killed first)
     */
    public static Outcome run(List<String> argv, Map<String, String> env, long timeoutMs) throws InterruptedException {
        Path output;
        try {
            output = Files.createTempFile("blockmirror-hook", ".out");
        } catch (IOException e) {
            return new Outcome(Ending.NOT_STARTED, -1, 0, "cannot create a file for its output: " + e.getMessage());
        }
        try {
            ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(output.toFile());
            pb.environment().putAll(env);
            long started = System.nanoTime();
            Process p;
            try {
                p = pb.start();
            } catch (IOException e) {
                return new Outcome(Ending.NOT_STARTED, -1, 0, "cannot run it: " + e.getMessage());
            }
            try {
                p.getOutputStream().close(); // no input
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
                return new Outcome(Ending.TIMED_OUT, -1, ms, firstLine(output));
            }
            return new Outcome(Ending.EXITED, p.exitValue(), ms, firstLine(output));
        } finally {
            try {
                Files.deleteIfExists(output);
            } catch (IOException ignored) {
                // a stray temporary file is harmless
            }
        }
    }

    private static void kill(Process p) throws InterruptedException {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        p.waitFor(5, TimeUnit.SECONDS);
    }

    private static String firstLine(Path output) {
        byte[] head;
        try (InputStream in = Files.newInputStream(output)) {
            head = in.readNBytes(4 * MAX_LOGGED_CHARS);
        } catch (IOException ex) {
            return "(unreadable: " + ex.getMessage() + ")";
        }
        String text = new String(head, StandardCharsets.UTF_8); // malformed bytes become U+FFFD
        int eol = text.indexOf('\n');
        String line = (eol >= 0 ? text.substring(0, eol) : text).strip();
        if (line.isEmpty()) {
            return "(none)";
        }
        return line.length() > MAX_LOGGED_CHARS ? line.substring(0, MAX_LOGGED_CHARS) + "..." : line;
    }
}
