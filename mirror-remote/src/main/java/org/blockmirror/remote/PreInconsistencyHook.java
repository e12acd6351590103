package org.blockmirror.remote;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.blockmirror.alert.HookProcess;
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
        HookProcess.Outcome o = HookProcess.run(
                List.of(command.toString(), "REMIRROR_PRE", volumeId, volumePath, Long.toString(appliedSeq)),
                Map.of("BLOCKMIRROR_EVENT", "REMIRROR_PRE",
                        "BLOCKMIRROR_ROLE", "remote",
                        "BLOCKMIRROR_VOLUME", volumeId,
                        "BLOCKMIRROR_VOLUME_PATH", volumePath,
                        "BLOCKMIRROR_APPLIED_SEQ", Long.toString(appliedSeq),
                        "BLOCKMIRROR_SYNC_STATE", syncState),
                timeoutMs);
        return switch (o.ending()) {
            case NOT_STARTED -> "remirror.pre-hook " + command + ": " + o.detail();
            case TIMED_OUT -> "remirror.pre-hook " + command + " was killed after " + o.millis()
                    + " ms (remirror.pre-hook-timeout-ms); output: " + o.detail();
            case EXITED -> {
                if (o.exitStatus() != 0) {
                    yield "remirror.pre-hook " + command + " failed with exit status " + o.exitStatus() + "; output: "
                            + o.detail();
                }
                log.info("remirror.pre-hook {}: exit status 0 after {} ms; output: {}", command, o.millis(), o.detail());
                yield null;
            }
        };
    }
}
