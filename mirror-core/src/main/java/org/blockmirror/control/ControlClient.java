package org.blockmirror.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Sends one command to a daemon's {@link ControlServer} and returns its JSON answer. */
public final class ControlClient {

    private final Path socketPath;
    private final ObjectMapper json = new ObjectMapper();

    public ControlClient(Path socketPath) {
        this.socketPath = socketPath;
    }

    /**
     * Runs {@code command} and returns the "result" node.
     *
     * @throws IOException when no daemon answers on the socket or the daemon reports an error
     */
    public JsonNode call(String command) throws IOException {
        if (!Files.exists(socketPath)) {
            throw new IOException("no daemon is listening: control socket " + socketPath + " does not exist");
        }
        byte[] answer;
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socketPath));
            ByteBuffer req = ByteBuffer.wrap((command + "\n").getBytes(StandardCharsets.UTF_8));
            while (req.hasRemaining()) {
                ch.write(req);
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteBuffer buf = ByteBuffer.allocate(8192);
            while (ch.read(buf) >= 0) {
                out.write(buf.array(), 0, buf.position());
                buf.clear();
            }
            answer = out.toByteArray();
        } catch (IOException e) {
            throw new IOException("cannot talk to the daemon on " + socketPath + ": " + e.getMessage(), e);
        }
        JsonNode reply = json.readTree(answer);
        if (reply == null || !reply.path("ok").asBoolean(false)) {
            throw new IOException("daemon on " + socketPath + " answered: "
                    + (reply == null ? "nothing" : reply.path("error").asText("malformed reply")));
        }
        return reply.path("result");
    }
}
