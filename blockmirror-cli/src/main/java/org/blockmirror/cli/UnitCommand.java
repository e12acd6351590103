package org.blockmirror.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.concurrent.Callable;
import org.blockmirror.config.ConfigException;
import org.blockmirror.role.GenerationState;
import org.blockmirror.role.Role;
import org.blockmirror.tcmu.TcmuFrontEnd;
import org.blockmirror.time.MonotonicClock;
import org.blockmirror.unit.UnitConfig;
import org.blockmirror.unit.UnitDaemon;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code blockmirror unit --config F}: runs a unit that holds either role for its volume, as its
 * role state file says; {@code blockmirror unit init --role primary|secondary --config F} creates
 * that file once, when the pair is set up.
 */
@Command(name = "unit", mixinStandardHelpOptions = true, subcommands = UnitCommand.Init.class,
        description = "Run a unit of a pair with roles: primary (serves the host, mirrors) or secondary (receives,"
                + " standby disk), as its role state says; 'blockmirror role' changes it.")
final class UnitCommand implements Callable<Integer> {

    @Option(names = {"-c", "--config"}, description = "unit configuration file (docs/configuration.md); required")
    Path config;

    @Override
    public Integer call() {
        if (config == null) {
            System.err.println("blockmirror unit: --config is required");
            return BlockmirrorCommand.EXIT_BAD_CONFIG;
        }
        UnitConfig cfg = load("unit", config);
        if (cfg == null) {
            return BlockmirrorCommand.EXIT_BAD_CONFIG;
        }
        UnitDaemon daemon;
        try {
            daemon = UnitDaemon.start(cfg, MonotonicClock.system(), new SecureRandom(), TcmuFrontEnd.factory());
        } catch (IOException | RuntimeException e) {
            System.err.println("blockmirror unit: cannot start: " + e.getMessage());
            return BlockmirrorCommand.EXIT_FAILURE;
        }
        return DaemonRunner.runUntilSignalled(daemon);
    }

    static UnitConfig load(String command, Path file) {
        try {
            return UnitConfig.load(file);
        } catch (ConfigException e) {
            System.err.println("blockmirror " + command + ": configuration refused:");
            e.problems().forEach(p -> System.err.println("  " + p));
            return null;
        }
    }

    @Command(name = "init", mixinStandardHelpOptions = true,
            description = "Create the unit's role state file (once, when the pair is set up): one unit primary, the"
                    + " other secondary.")
    static final class Init implements Callable<Integer> {
        @Option(names = {"-c", "--config"}, required = true, description = "unit configuration file")
        Path config;

        @Option(names = "--role", required = true, description = "primary or secondary")
        String role;

        @Override
        public Integer call() {
            Role r = switch (role.toLowerCase()) {
                case "primary" -> Role.PRIMARY;
                case "secondary" -> Role.SECONDARY;
                default -> null;
            };
            if (r == null) {
                System.err.println("blockmirror unit init: --role must be primary or secondary, not '" + role + "'");
                return BlockmirrorCommand.EXIT_BAD_CONFIG;
            }
            UnitConfig cfg = load("unit init", config);
            if (cfg == null) {
                return BlockmirrorCommand.EXIT_BAD_CONFIG;
            }
            try {
                GenerationState s = UnitDaemon.init(cfg, r, new SecureRandom());
                System.out.println("volume '" + cfg.volumeId() + "': role state " + cfg.roleStateFile() + " created: " + s);
                return 0;
            } catch (IOException e) {
                System.err.println("blockmirror unit init: " + e.getMessage());
                return BlockmirrorCommand.EXIT_FAILURE;
            }
        }
    }
}
