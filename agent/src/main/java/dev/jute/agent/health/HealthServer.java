package dev.jute.agent.health;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.jute.agent.Log;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * The agent's HTTP endpoints for the kubelet's probes and for Prometheus: {@code /healthz} (liveness),
 * {@code /readyz} (readiness; 503 with the reasons while not ready) and {@code /metrics}. The JDK's own
 * HTTP server is enough for a handful of requests a minute; it serves on virtual threads.
 */
public final class HealthServer implements AutoCloseable {

    private static final Log LOG = Log.of("health");

    private final HttpServer server;
    private final ExecutorService executor;

    private HealthServer(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    /**
     * @param liveness  problems that mean the agent should be restarted (empty when alive)
     * @param readiness problems that mean the agent cannot do its job yet (empty when ready)
     * @param metrics   the current metrics in Prometheus text format
     */
    public static HealthServer start(InetSocketAddress address, Supplier<List<String>> liveness,
                                     Supplier<List<String>> readiness, Supplier<String> metrics) throws IOException {
        HttpServer server = HttpServer.create(address, 16);
        server.createContext("/healthz", exchange -> probe(exchange, liveness));
        server.createContext("/livez", exchange -> probe(exchange, liveness));
        server.createContext("/readyz", exchange -> probe(exchange, readiness));
        server.createContext("/metrics", exchange -> {
            if (!exact(exchange, "/metrics")) {
                return;
            }
            String body;
            try {
                body = metrics.get();
            } catch (RuntimeException e) {
                LOG.error("cannot collect metrics", "error", e.toString());
                reply(exchange, 500, "text/plain; charset=utf-8", "cannot collect metrics: " + e.getMessage() + "\n");
                return;
            }
            reply(exchange, 200, "text/plain; version=0.0.4; charset=utf-8", body);
        });
        ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
        server.setExecutor(executor);
        server.start();
        LOG.info("serving health and metrics", "address", server.getAddress());
        return new HealthServer(server, executor);
    }

    public InetSocketAddress address() {
        return server.getAddress();
    }

    private static void probe(HttpExchange exchange, Supplier<List<String>> check) throws IOException {
        if (!exact(exchange, exchange.getHttpContext().getPath())) {
            return;
        }
        List<String> problems;
        try {
            problems = check.get();
        } catch (RuntimeException e) {
            problems = List.of("check failed: " + e);
        }
        if (problems.isEmpty()) {
            reply(exchange, 200, "text/plain; charset=utf-8", "ok\n");
        } else {
            reply(exchange, 503, "text/plain; charset=utf-8", String.join("\n", problems) + "\n");
        }
    }

    /** Contexts match by prefix; anything below them is not ours. */
    private static boolean exact(HttpExchange exchange, String path) throws IOException {
        if (!exchange.getRequestURI().getPath().equals(path)) {
            reply(exchange, 404, "text/plain; charset=utf-8", "not found\n");
            return false;
        }
        if (!exchange.getRequestMethod().equals("GET") && !exchange.getRequestMethod().equals("HEAD")) {
            reply(exchange, 405, "text/plain; charset=utf-8", "only GET\n");
            return false;
        }
        return true;
    }

    private static void reply(HttpExchange exchange, int status, String contentType, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", contentType);
        boolean head = exchange.getRequestMethod().equals("HEAD");
        exchange.sendResponseHeaders(status, head ? -1 : bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            if (!head) {
                out.write(bytes);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.close();
    }
}
