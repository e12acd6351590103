package org.blockmirror.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.blockmirror.config.ConfigException;
import org.blockmirror.control.ControlClient;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code blockmirror volume}: the local volume's fail-over state and its replacement (SPEC F12). */
@Command(name = "volume", mixinStandardHelpOptions = true,
        description = {"The local unit's volume after a disk failure.",
                "  status   ok, or degraded (host I/O served through the remote copy) and the resync of a replacement",
                "  replace  the failed disk was swapped: open volume.path again and copy every block from the remote"
                        + " while host I/O goes on; then serve from it again"})
final class VolumeCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "ACTION", description = "status or replace")
    String action;

    @ArgGroup(exclusive = true, multiplicity = "1")
    StatusCommand.Target target;

    @Option(names = "--wait", description = "replace: wait until the resync has finished, printing its progress")
    boolean await;

    @Option(names = "--json", description = "print the daemon's answer as JSON")
    boolean json;

    @Override
    public Integer call() {
        if (!action.equals("status") && !action.equals("replace")) {
            System.err.println("blockmirror volume: unknown action '" + action + "': status or replace");
            return BlockmirrorCommand.EXIT_BAD_CONFIG;
        }
        Path socket;
        try {
            socket = target.socket != null ? target.socket : StatusCommand.socketOf(target.config);
        } catch (ConfigException e) {
            System.err.println("blockmirror volume: " + e.getMessage());
            return BlockmirrorCommand.EXIT_BAD_CONFIG;
        }
        ControlClient client = new ControlClient(socket);
        try {
            JsonNode answer = client.call("volume " + action);
            while (await && action.equals("replace") && answer.path("resync").asText().equals("copying")) {
                if (!json) {
                    System.out.println("resync: " + answer.path("resyncChunksCopied").asLong() + " of "
                            + answer.path("resyncChunks").asLong() + " chunks copied");
                }
                Thread.sleep(1000);
                answer = client.call("volume status");
            }
            print(answer);
            return answer.path("resync").asText().equals("failed") && await ? BlockmirrorCommand.EXIT_FAILURE : 0;
        } catch (IOException e) {
            System.err.println("blockmirror volume " + action + ": " + e.getMessage());
            return BlockmirrorCommand.EXIT_FAILURE;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return BlockmirrorCommand.EXIT_FAILURE;
        }
    }

    private void print(JsonNode answer) throws IOException {
        if (json) {
            System.out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(answer));
            return;
        }
        System.out.println("local volume: " + answer.path("state").asText()
                + (answer.path("reason").isNull() ? "" : " (" + answer.path("reason").asText() + ")"));
        System.out.println("resync: " + answer.path("resync").asText() + ", " + answer.path("resyncChunksCopied").asLong()
                + " of " + answer.path("resyncChunks").asLong() + " chunks"
                + (answer.path("resyncError").isNull() ? "" : ", error: " + answer.path("resyncError").asText()));
        System.out.println("blocks read through the peer: " + answer.path("blocksReadThroughPeer").asLong());
    }
}
