package org.blockmirror.cli;

import org.blockmirror.Version;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code blockmirror} executable: runs either daemon, shows status, runs the demo. */
@Command(name = "blockmirror", mixinStandardHelpOptions = true, versionProvider = BlockmirrorCommand.VersionProvider.class,
        description = "Mirror a block device to a remote site over n TCP connections.",
        subcommands = {LocalCommand.class, RemoteCommand.class, UnitCommand.class, RoleCommand.class,
                StatusCommand.class, QueueCommand.class, VolumeCommand.class, DemoCommand.class, BenchmarkCommand.class})
public final class BlockmirrorCommand implements Runnable {

    /** Exit code for a configuration the daemon refuses to start with. */
    public static final int EXIT_BAD_CONFIG = 2;
    /** Exit code for a failure at run time (volume, journal, socket …). */
    public static final int EXIT_FAILURE = 1;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the command line and returns the exit code (used by tests, which must not exit). */
    public static int execute(String... args) {
        return new CommandLine(new BlockmirrorCommand()).execute(args);
    }

    static final class VersionProvider implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"blockmirror " + Version.current()};
        }
    }
}
