package org.blockmirror.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.Callable;
import org.blockmirror.control.ControlClient;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code blockmirror role show|reverse|promote|demote|resolve --config F}: changes a running unit's
 * role through its control socket (docs/operations.md, "Roles").
 */
@Command(name = "role", mixinStandardHelpOptions = true,
        description = "Show or change the role of a running unit (blockmirror unit).",
        subcommands = {RoleCommand.Show.class, RoleCommand.Reverse.class, RoleCommand.Promote.class,
                RoleCommand.Demote.class, RoleCommand.Resolve.class})
final class RoleCommand implements Runnable {

    @Override
    public void run() {
        new picocli.CommandLine(this).usage(System.out);
    }

    /** Sends {@code request} to the unit and prints the role it reports; returns the exit code. */
    static int call(Path config, String name, String request) {
        Path socket;
        try {
            socket = StatusCommand.socketOf(config);
        } catch (Exception e) {
            System.err.println("blockmirror role " + name + ": " + e.getMessage());
            return BlockmirrorCommand.EXIT_BAD_CONFIG;
        }
        try {
            print(new ControlClient(socket).call(request));
            return 0;
        } catch (IOException e) {
            System.err.println("blockmirror role " + name + ": " + e.getMessage());
            return BlockmirrorCommand.EXIT_FAILURE;
        }
    }

    private static void print(JsonNode node) {
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode v = e.getValue();
            System.out.println(e.getKey() + ": " + (v.isNull() ? "-" : v.isValueNode() ? v.asText() : v.toString()));
        }
    }

    @Command(name = "show", description = "Role, generations, flags, write token and the last handshake decision.")
    static final class Show implements Callable<Integer> {
        @Option(names = {"-c", "--config"}, required = true, description = "the unit's configuration file")
        Path config;

        @Override
        public Integer call() {
            return RoleCommand.call(config, "show", "role-show");
        }
    }

    @Command(name = "reverse", description = "On the primary: with the journal drained, stop host writes, become"
            + " secondary and let the peer become primary; mirroring then runs the other way.")
    static final class Reverse implements Callable<Integer> {
        @Option(names = {"-c", "--config"}, required = true, description = "the unit's configuration file")
        Path config;

        @Option(names = "--wait", description = "wait for the journal to drain (showing the lag) instead of refusing")
        boolean waitForDrain;

        @Override
        public Integer call() {
            return drainingCall(config, "reverse", waitForDrain);
        }
    }

    /** {@code reverse} and {@code demote}: with {@code --wait}, the lag is shown while the daemon drains. */
    private static int drainingCall(Path config, String name, boolean wait) {
        String request = "role-" + name + (wait ? " wait" : "");
        return wait ? withDrainProgress(config, () -> RoleCommand.call(config, name, request))
                : RoleCommand.call(config, name, request);
    }

    /**
     * Sends the command at once — the daemon stops host writes and then waits for the drain, so a
     * host that never pauses cannot hold the reversal off — and prints the lag once a second
     * while the command runs.
     */
    static int withDrainProgress(Path config, java.util.function.IntSupplier command) {
        Thread progress = new Thread(() -> showDrain(config), "drain-progress");
        progress.setDaemon(true);
        progress.start();
        try {
            return command.getAsInt();
        } finally {
            progress.interrupt();
        }
    }

    private static void showDrain(Path config) {
        try {
            ControlClient client = new ControlClient(StatusCommand.socketOf(config));
            while (!Thread.currentThread().isInterrupted()) {
                Thread.sleep(1000);
                long lag = client.call("status").path("half").path("lagRecords").asLong(0);
                if (lag > 0 && !Thread.currentThread().isInterrupted()) {
                    System.out.println("host writes stopped; waiting for the journal to drain: " + lag
                            + " record(s) not yet acknowledged");
                }
            }
        } catch (Exception e) {
            // interrupted when the command returns; the command itself reports what is wrong
        }
    }

    @Command(name = "promote", description = "Make this secondary the primary. Without --force the peer must be"
            + " secondary and in sync; --force is for a dead primary (starts a new generation).")
    static final class Promote implements Callable<Integer> {
        @Option(names = {"-c", "--config"}, required = true, description = "the unit's configuration file")
        Path config;

        @Option(names = "--force", description = "the primary is gone: promote without it")
        boolean force;

        @Override
        public Integer call() {
            return RoleCommand.call(config, "promote", force ? "role-promote force" : "role-promote");
        }
    }

    @Command(name = "demote", description = "On the primary: with the journal drained, stop serving the host and"
            + " become secondary.")
    static final class Demote implements Callable<Integer> {
        @Option(names = {"-c", "--config"}, required = true, description = "the unit's configuration file")
        Path config;

        @Option(names = "--wait", description = "wait for the journal to drain instead of refusing")
        boolean waitForDrain;

        @Override
        public Integer call() {
            return drainingCall(config, "demote", waitForDrain);
        }
    }

    @Command(name = "resolve", description = "After a split brain: choose the survivor. --keep-local keeps this"
            + " unit's data, --keep-peer the peer's (this unit becomes secondary and its diverging changes will be"
            + " overwritten).")
    static final class Resolve implements Callable<Integer> {
        static final class Choice {
            @Option(names = "--keep-local", required = true, description = "this unit's data survives")
            boolean keepLocal;

            @Option(names = "--keep-peer", required = true, description = "the peer's data survives")
            boolean keepPeer;
        }

        @Option(names = {"-c", "--config"}, required = true, description = "the unit's configuration file")
        Path config;

        @ArgGroup(exclusive = true, multiplicity = "1")
        Choice choice;

        @Override
        public Integer call() {
            return RoleCommand.call(config, "resolve", "role-resolve " + (choice.keepLocal ? "keep-local" : "keep-peer"));
        }
    }
}
