package org.blockmirror.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ControlServerTest {

    @TempDir
    Path dir;

    @Test
    void answersCommandsWithJson() throws Exception {
        Path sock = dir.resolve("ctl.sock");
        try (ControlServer server = ControlServer.start(sock, Map.of(
                "status", args -> Map.of("role", "local", "args", args),
                "fail", args -> {
                    throw new IllegalStateException("journal is not drained");
                }))) {
            ControlClient client = new ControlClient(sock);
            var status = client.call("status a b");
            assertEquals("local", status.path("role").asText());
            assertEquals(List.of("a", "b"), List.of(status.path("args").get(0).asText(), status.path("args").get(1).asText()));

            IOException e = assertThrows(IOException.class, () -> client.call("fail"));
            assertTrue(e.getMessage().contains("journal is not drained"), e.getMessage());
            IOException unknown = assertThrows(IOException.class, () -> client.call("frobnicate"));
            assertTrue(unknown.getMessage().contains("unknown command 'frobnicate'"), unknown.getMessage());
        }
        assertTrue(Files.notExists(sock), "socket file removed on close");
    }

    @Test
    void replacesAStaleSocketButRefusesALiveOne() throws Exception {
        Path sock = dir.resolve("ctl.sock");
        try (ControlServer first = ControlServer.start(sock, Map.of("status", args -> "one"))) {
            IOException e = assertThrows(IOException.class, () -> ControlServer.start(sock, Map.of()));
            assertTrue(e.getMessage().contains("in use"), e.getMessage());
        }
        Files.createFile(sock); // what a SIGKILLed daemon leaves behind
        try (ControlServer second = ControlServer.start(sock, Map.of("status", args -> "two"))) {
            assertEquals("two", new ControlClient(sock).call("status").asText());
        }
    }

    @Test
    void noDaemonIsAClearError() {
        IOException e = assertThrows(IOException.class, () -> new ControlClient(dir.resolve("none.sock")).call("status"));
        assertTrue(e.getMessage().contains("no daemon is listening"), e.getMessage());
    }
}
