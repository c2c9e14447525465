package dev.jute.agent.admin;

import dev.jute.agent.Log;
import dev.jute.agent.RootOnlySocket;
import dev.jute.cni.Json;
import dev.jute.cni.JsonException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Function;


/**
 * The agent's admin endpoint for {@code jute bgp ...} and {@code jute policy ...}: a unix socket that only root (or the agent's own
 * user) may use, like the CNI socket. Protocol, one exchange per connection: the client writes one JSON
 * object {@code {"command":"bgp-peers"}} and shuts its output down; the agent answers one JSON object
 * (the command's result, or {@code {"error":"..."}}) and closes. Requests are rare and small; each is
 * served on a virtual thread of its own.
 */
public final class AdminServer implements AutoCloseable {

    private static final Log LOG = Log.of("admin");
    static final int MAX_REQUEST_BYTES = 64 * 1024;

    private final Path path;
    private final ServerSocketChannel server;
    private final Map<String, Function<Map<String, Object>, Map<String, Object>>> commands;
    private final Thread acceptor;

    private AdminServer(Path path, ServerSocketChannel server, Map<String, Function<Map<String, Object>, Map<String, Object>>> commands) {
        this.path = path;
        this.server = server;
        this.commands = Map.copyOf(commands);
        this.acceptor = Thread.ofPlatform().name("admin-server").daemon().unstarted(this::serve);
    }

    /** Serves {@code commands} (by the request's {@code "command"} field) on {@code path}. */
    public static AdminServer start(Path path, Map<String, Function<Map<String, Object>, Map<String, Object>>> commands) throws IOException {
        ServerSocketChannel server = RootOnlySocket.bind(path, 16);
        AdminServer admin = new AdminServer(path, server, commands);
        admin.acceptor.start();
        LOG.info("admin endpoint", "socket", path);
        return admin;
    }

    private void serve() {
        while (server.isOpen()) {
            SocketChannel client;
            try {
                client = server.accept();
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                LOG.warn("admin accept failed", "error", e.getMessage());
                continue;
            }
            // One virtual thread per exchange: a client that never finishes its request stalls only itself.
            Thread.ofVirtual().name("admin-client").start(() -> exchange(client));
        }
    }

    private void exchange(SocketChannel channel) {
        try (SocketChannel client = channel) {
            String refused = RootOnlySocket.refusedPeer(client);
            if (refused != null) {
                LOG.warn("refused admin client", "user", refused);
                return;
            }
            String reply = Json.write(answer(read(client)));
            ByteBuffer out = ByteBuffer.wrap(reply.getBytes(StandardCharsets.UTF_8));
            while (out.hasRemaining()) {
                client.write(out);
            }
        } catch (IOException | JsonException | RuntimeException e) {
            LOG.warn("admin request failed", "error", e.toString());
        }
    }

    private Map<String, Object> answer(String request) {
        try {
            Map<String, Object> fields = Json.parseObject(request);
            Object command = fields.get("command");
            var handler = command instanceof String name ? commands.get(name) : null;
            if (handler == null) {
                return Map.of("error", "unknown command " + command + "; known: " + commands.keySet().stream().sorted().toList());
            }
            return handler.apply(fields);
        } catch (JsonException e) {
            return Map.of("error", "bad request: " + e.getMessage());
        } catch (RuntimeException e) {
            return Map.of("error", e.toString());
        }
    }

    private static String read(SocketChannel client) throws IOException {
        ByteBuffer in = ByteBuffer.allocate(MAX_REQUEST_BYTES);
        while (in.hasRemaining() && client.read(in) >= 0) {
            // until the client shuts its output down
        }
        return new String(in.array(), 0, in.position(), StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        try {
            acceptor.join(2_000);
            Files.deleteIfExists(path);
        } catch (IOException | InterruptedException e) {
            LOG.warn("cannot remove admin socket", "path", path, "error", e.toString());
        }
    }
}
