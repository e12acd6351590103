package org.blockmirror.control;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's local-only control endpoint: a Unix domain socket (mode 0600), one request per
 * connection. The client sends one line {@code command [arg ...]}; the server answers one JSON
 * document {@code {"ok":true,"result":…}} or {@code {"ok":false,"error":"…"}} and closes.
 *
 * <p>A Unix socket keeps the endpoint off the network entirely; file permissions decide who
 * may reverse roles or read status.
 */
public final class ControlServer implements AutoCloseable {

    /** One command the daemon offers on its control socket. */
    @FunctionalInterface
    public interface Command {
        Object run(List<String> args) throws Exception;
    }

    private static final Logger log = LoggerFactory.getLogger(ControlServer.class);
    private static final int MAX_REQUEST_BYTES = 4096;

    private final Path socketPath;
    private final Map<String, Command> commands;
    private final ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private final ServerSocketChannel server;
    private final ExecutorService workers;
    private final Thread acceptor;
    private volatile boolean closed;

    private ControlServer(Path socketPath, Map<String, Command> commands, ServerSocketChannel server) {
        this.socketPath = socketPath;
        this.commands = Map.copyOf(commands);
        this.server = server;
        this.workers = new ThreadPoolExecutor(1, 4, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(16),
                r -> {
                    Thread t = new Thread(r, "control-worker");
                    t.setDaemon(true);
                    return t;
                });
        this.acceptor = new Thread(this::acceptLoop, "control-accept");
        this.acceptor.setDaemon(true);
    }

    /** Binds the socket (replacing a stale one left by a crashed daemon) and starts serving. */
    public static ControlServer start(Path socketPath, Map<String, Command> commands) throws IOException {
        Path dir = socketPath.toAbsolutePath().getParent();
        if (dir != null) {
            Files.createDirectories(dir);
        }
        if (Files.exists(socketPath)) {
            if (isAnswering(socketPath)) {
                throw new IOException("control socket " + socketPath + " is in use by another running daemon");
            }
            Files.delete(socketPath);
        }
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            server.bind(UnixDomainSocketAddress.of(socketPath));
            Files.setPosixFilePermissions(socketPath, PosixFilePermissions.fromString("rw-------"));
        } catch (IOException e) {
            server.close();
            throw new IOException("cannot bind control socket " + socketPath + ": " + e.getMessage(), e);
        }
        Map<String, Command> all = new LinkedHashMap<>(commands);
        ControlServer cs = new ControlServer(socketPath, all, server);
        cs.acceptor.start();
        log.debug("control socket listening on {}", socketPath);
        return cs;
    }

    private static boolean isAnswering(Path socketPath) {
        try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(socketPath))) {
            return ch.isConnected();
        } catch (IOException e) {
            return false;
        }
    }

    public Path socketPath() {
        return socketPath;
    }

    private void acceptLoop() {
        while (!closed) {
            SocketChannel client;
            try {
                client = server.accept();
            } catch (IOException e) {
                if (!closed) {
                    log.warn("control socket {}: accept failed: {}", socketPath, e.getMessage());
                }
                return;
            }
            try {
                workers.execute(() -> serve(client));
            } catch (RejectedExecutionException e) {
                closeQuietly(client);
            }
        }
    }

    private void serve(SocketChannel client) {
        try (client) {
            String line = readLine(client);
            Map<String, Object> reply = new LinkedHashMap<>();
            List<String> words = line.isBlank() ? List.of() : Arrays.asList(line.strip().split("\\s+"));
            Command command = words.isEmpty() ? null : commands.get(words.get(0));
            if (command == null) {
                reply.put("ok", false);
                reply.put("error", words.isEmpty() ? "empty request"
                        : "unknown command '" + words.get(0) + "'; known: " + String.join(", ", commands.keySet()));
            } else {
                try {
                    Object result = command.run(words.subList(1, words.size()));
                    reply.put("ok", true);
                    reply.put("result", result);
                } catch (Exception e) {
                    reply.put("ok", false);
                    reply.put("error", e.getMessage() == null ? e.toString() : e.getMessage());
                }
            }
            byte[] out = json.writeValueAsBytes(reply);
            ByteBuffer buf = ByteBuffer.wrap(out);
            while (buf.hasRemaining()) {
                client.write(buf);
            }
        } catch (IOException e) {
            log.debug("control client error: {}", e.getMessage());
        }
    }

    private static String readLine(SocketChannel client) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(MAX_REQUEST_BYTES);
        while (buf.hasRemaining()) {
            if (client.read(buf) < 0) {
                break;
            }
            for (int i = 0; i < buf.position(); i++) {
                if (buf.get(i) == '\n') {
                    return new String(buf.array(), 0, i, StandardCharsets.UTF_8);
                }
            }
        }
        return new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8);
    }

    private static void closeQuietly(SocketChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // nothing to do
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            server.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        workers.shutdownNow();
        try {
            Files.deleteIfExists(socketPath);
        } catch (IOException ignored) {
            // a stale socket file is replaced at the next start
        }
    }
}
