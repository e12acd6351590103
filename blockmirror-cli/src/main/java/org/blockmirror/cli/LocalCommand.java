package org.blockmirror.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.concurrent.Callable;
import org.blockmirror.config.ConfigException;
import org.blockmirror.local.LocalConfig;
import org.blockmirror.local.LocalDaemon;
import org.blockmirror.tcmu.TcmuFrontEnd;
import org.blockmirror.time.MonotonicClock;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code blockmirror local --config F}: runs the local unit. */
@Command(name = "local", mixinStandardHelpOptions = true,
        description = "Run the local unit: serve the volume, journal every write, mirror it to the remote.")
final class LocalCommand implements Callable<Integer> {

    @Option(names = {"-c", "--config"}, required = true, description = "configuration file (see docs/configuration.md)")
    Path config;

    @Option(names = "--format-journal", description = "format the journal even if it exists (its content is lost)")
    boolean formatJournal;

    @Override
    public Integer call() {
        LocalConfig cfg;
        try {
            cfg = LocalConfig.load(config);
        } catch (ConfigException e) {
            System.err.println("blockmirror local: configuration refused:");
            e.problems().forEach(p -> System.err.println("  " + p));
            return BlockmirrorCommand.EXIT_BAD_CONFIG;
        }
        LocalDaemon daemon;
        try {
            daemon = LocalDaemon.start(cfg, MonotonicClock.system(), new SecureRandom(), formatJournal,
                    TcmuFrontEnd.factory());
        } catch (IOException | RuntimeException e) {
            System.err.println("blockmirror local: cannot start: " + e.getMessage());
            return BlockmirrorCommand.EXIT_FAILURE;
        }
        return DaemonRunner.runUntilSignalled(daemon);
    }
}
