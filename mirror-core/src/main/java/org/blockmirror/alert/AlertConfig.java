package org.blockmirror.alert;

import java.nio.file.Path;
import org.blockmirror.config.ConfigReader;

/**
 * The {@code alert.*} keys of both daemons (docs/configuration.md).
 *
 * @param hook          command run on every alert change, or null for none
 * @param hookTimeoutMs a hook still running after this is killed
 */
public record AlertConfig(Path hook, long hookTimeoutMs) {

    public static final long DEFAULT_HOOK_TIMEOUT_MS = 10_000;

    /** No hook. */
    public static AlertConfig none() {
        return new AlertConfig(null, DEFAULT_HOOK_TIMEOUT_MS);
    }

    public static AlertConfig read(ConfigReader r) {
        Path hook = r.executable("alert.hook");
        long timeout = r.longInRange("alert.hook-timeout-ms", DEFAULT_HOOK_TIMEOUT_MS, 100, 600_000);
        return new AlertConfig(hook, timeout);
    }
}
