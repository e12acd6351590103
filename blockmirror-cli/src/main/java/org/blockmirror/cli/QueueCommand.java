package org.blockmirror.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Path;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.blockmirror.config.ConfigException;
import org.blockmirror.control.ControlClient;
import org.blockmirror.local.FlushRange;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code blockmirror queue}: the operator's queue control on a running local unit (SPEC F8). */
@Command(name = "queue", mixinStandardHelpOptions = true,
        description = {"Control the local unit's queue without a restart.",
                "  stop-enqueue   host writes go to the dirty map instead of the journal (queued records still go out)",
                "  start-enqueue  host writes go to the journal again (at once if the dirty map is empty, else after"
                        + " remirror)",
                "  stop-send      hold queued records (the session stays open)",
                "  start-send     send them again",
                "  flush          turn the oldest part of the queue into dirty-map entries and free it",
                "Stopped enqueueing and sending survive a restart of the daemon."})
final class QueueCommand implements Callable<Integer> {

    enum Action {
        STOP_ENQUEUE("stop-enqueue"), START_ENQUEUE("start-enqueue"), STOP_SEND("stop-send"),
        START_SEND("start-send"), FLUSH("flush");

        final String word;

        Action(String word) {
            this.word = word;
        }

        static Action of(String word) {
            for (Action a : values()) {
                if (a.word.equals(word)) {
                    return a;
                }
            }
            throw new IllegalArgumentException("unknown action '" + word + "': one of stop-enqueue, start-enqueue,"
                    + " stop-send, start-send, flush");
        }
    }

    @Parameters(index = "0", paramLabel = "ACTION", description = "stop-enqueue, start-enqueue, stop-send, start-send"
            + " or flush")
    String action;

    @ArgGroup(exclusive = true, multiplicity = "1")
    StatusCommand.Target target;

    @Option(names = "--through-seq", paramLabel = "N", description = "flush: every queued record up to seq N")
    String throughSeq;

    @Option(names = "--older-than", paramLabel = "DURATION",
            description = "flush: the queued records older than this (500ms, 90s, 15m, 2h, 1d, PT1H)")
    String olderThan;

    @Option(names = "--before", paramLabel = "TIMESTAMP",
            description = "flush: the queued records written before this time (2024-06-03T12:00:00Z; no offset ="
                    + " local time)")
    String before;

    @Option(names = "--json", description = "print the daemon's answer as JSON")
    boolean json;

    @Override
    public Integer call() {
        String request;
        try {
            request = request();
        } catch (IllegalArgumentException e) {
            System.err.println("blockmirror queue: " + e.getMessage());
            return BlockmirrorCommand.EXIT_BAD_CONFIG;
        }
        Path socket;
        try {
            socket = target.socket != null ? target.socket : StatusCommand.socketOf(target.config);
        } catch (ConfigException e) {
            System.err.println("blockmirror queue: " + e.getMessage());
            return BlockmirrorCommand.EXIT_BAD_CONFIG;
        }
        JsonNode answer;
        try {
            answer = new ControlClient(socket).call(request);
        } catch (IOException e) {
            System.err.println("blockmirror queue " + action + ": " + e.getMessage());
            return BlockmirrorCommand.EXIT_FAILURE;
        }
        if (json) {
            try {
                System.out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
                        .writeValueAsString(answer));
            } catch (IOException e) {
                System.err.println("blockmirror queue: " + e.getMessage());
                return BlockmirrorCommand.EXIT_FAILURE;
            }
        } else {
            System.out.println(answer.path("message").asText());
            System.out.println("mode: " + answer.path("mode").asText() + ", enqueueing "
                    + (answer.path("enqueueingStopped").asBoolean() ? "stopped" : "on") + ", sending "
                    + (answer.path("sendingStopped").asBoolean() ? "stopped" : "on") + ", dirty chunks: "
                    + answer.path("dirtyChunks").asLong() + ", queue: seq " + answer.path("journalTailSeq").asLong()
                    + " to " + (answer.path("journalNextSeq").asLong() - 1));
        }
        return 0;
    }

    /** The control request; checks the arguments first, so mistakes are reported without a daemon. */
    String request() {
        Action a = Action.of(action);
        List<String> range = new ArrayList<>();
        if (throughSeq != null) {
            range.addAll(List.of("--through-seq", throughSeq));
        }
        if (olderThan != null) {
            range.addAll(List.of("--older-than", olderThan));
        }
        if (before != null) {
            range.addAll(List.of("--before", before));
        }
        if (a != Action.FLUSH) {
            if (!range.isEmpty()) {
                throw new IllegalArgumentException(range.get(0) + " belongs to flush, not to " + a.word);
            }
            return "queue " + a.word;
        }
        return "queue flush " + FlushRange.parse(range, ZoneId.systemDefault()).toArgs();
    }
}
