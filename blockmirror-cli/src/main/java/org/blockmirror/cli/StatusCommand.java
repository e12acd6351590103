package org.blockmirror.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.Callable;
import org.blockmirror.config.ConfigException;
import org.blockmirror.config.ConfigFile;
import org.blockmirror.control.ControlClient;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code blockmirror status}: asks a running daemon through its control socket. */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = "Show a running daemon's role, link, connections, journal, counters, lag and alerts.")
final class StatusCommand implements Callable<Integer> {

    static final class Target {
        @Option(names = {"-c", "--config"}, description = "the daemon's configuration file (finds its control socket)")
        Path config;

        @Option(names = {"-s", "--socket"}, description = "the daemon's control socket")
        Path socket;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Target target;

    @Option(names = "--json", description = "print the status as JSON")
    boolean json;

    @Override
    public Integer call() {
        Path socket;
        try {
            socket = target.socket != null ? target.socket : socketOf(target.config);
        } catch (ConfigException e) {
            System.err.println("blockmirror status: " + e.getMessage());
            return BlockmirrorCommand.EXIT_BAD_CONFIG;
        }
        JsonNode status;
        try {
            status = new ControlClient(socket).call("status");
        } catch (IOException e) {
            System.err.println("blockmirror status: " + e.getMessage());
            return BlockmirrorCommand.EXIT_FAILURE;
        }
        if (json) {
            try {
                System.out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
                        .writeValueAsString(status));
            } catch (IOException e) {
                System.err.println("blockmirror status: " + e.getMessage());
                return BlockmirrorCommand.EXIT_FAILURE;
            }
        } else {
            print(status, "");
        }
        return 0;
    }

    /** The control socket a config file implies: its control.socket, or the default for its role. */
    static Path socketOf(Path config) throws ConfigException {
        ConfigFile file = ConfigFile.read(config);
        ConfigFile.Entry explicit = file.entries().get("control.socket");
        if (explicit != null) {
            return Path.of(explicit.value());
        }
        ConfigFile.Entry volume = file.entries().get("volume.id");
        if (volume == null) {
            throw new ConfigException(config + ": neither control.socket nor volume.id is set");
        }
        String role = file.entries().containsKey("peer.address") ? "unit"
                : file.entries().containsKey("remote.address") ? "local" : "remote";
        return Path.of("/run/blockmirror", role + "-" + volume.value() + ".sock");
    }

    /** A list item on one line; an alert as "KIND since TIME: message". */
    private static String describe(JsonNode item) {
        if (item.has("kind") && item.has("message")) {
            String since = item.has("sinceMillis")
                    ? " since " + Instant.ofEpochMilli(item.path("sinceMillis").asLong()) : "";
            return item.path("kind").asText() + since + ": " + item.path("message").asText();
        }
        return item.isValueNode() ? item.asText() : item.toString();
    }

    /** Human-readable: one "key: value" line per field, nested sections indented. */
    private static void print(JsonNode node, String indent) {
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode v = e.getValue();
            if (v.isObject()) {
                System.out.println(indent + e.getKey() + ":");
                print(v, indent + "  ");
            } else if (v.isArray()) {
                System.out.println(indent + e.getKey() + ":" + (v.isEmpty() ? " none" : ""));
                v.forEach(item -> System.out.println(indent + "  - " + describe(item)));
            } else {
                System.out.println(indent + e.getKey() + ": " + (v.isNull() ? "-" : v.asText()));
            }
        }
    }
}
