package org.blockmirror.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.concurrent.Callable;
import org.blockmirror.config.ConfigException;
import org.blockmirror.remote.RemoteConfig;
import org.blockmirror.remote.RemoteDaemon;
import org.blockmirror.tcmu.TcmuFrontEnd;
import org.blockmirror.time.MonotonicClock;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code blockmirror remote --config F}: runs the remote unit. */
@Command(name = "remote", mixinStandardHelpOptions = true,
        description = "Run the remote unit: receive the local unit's writes and apply them in order.")
final class RemoteCommand implements Callable<Integer> {

    @Option(names = {"-c", "--config"}, required = true, description = "configuration file (see docs/configuration.md)")
    Path config;

    @Override
    public Integer call() {
        RemoteConfig cfg;
        try {
            cfg = RemoteConfig.load(config);
        } catch (ConfigException e) {
            System.err.println("blockmirror remote: configuration refused:");
            e.problems().forEach(p -> System.err.println("  " + p));
            return BlockmirrorCommand.EXIT_BAD_CONFIG;
        }
        RemoteDaemon daemon;
        try {
            daemon = RemoteDaemon.start(cfg, MonotonicClock.system(), new SecureRandom(), TcmuFrontEnd.factory());
        } catch (IOException | RuntimeException e) {
            System.err.println("blockmirror remote: cannot start: " + e.getMessage());
            return BlockmirrorCommand.EXIT_FAILURE;
        }
        return DaemonRunner.runUntilSignalled(daemon);
    }
}
