package dev.jute.agent.service;

import com.sun.net.httpserver.HttpServer;
import dev.jute.agent.Log;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;

/**
 * kube-proxy's {@code healthCheckNodePort} servers for {@code externalTrafficPolicy: Local} Services:
 * on the node's addresses and the Service's health check port, any GET answers 200 with the number of
 * local endpoints when there is at least one, 503 otherwise, so an external load balancer sends
 * traffic only to nodes that keep it. A JSON body like kube-proxy's.
 */
final class HealthCheckServers implements AutoCloseable {

    private static final Log LOG = Log.of("service");

    /** What one health check port reports. */
    record Check(String service, int localEndpoints) {
    }

    private final Map<Integer, HttpServer> servers = new HashMap<>();
    private final Map<Integer, Check> checks = new ConcurrentHashMap<>();

    /** Serves exactly {@code wanted} (port → check): starts, updates and stops servers. */
    synchronized void reconcile(Map<Integer, Check> wanted) {
        checks.putAll(wanted);
        Set<Integer> gone = new HashSet<>(servers.keySet());
        gone.removeAll(wanted.keySet());
        for (int port : gone) {
            servers.remove(port).stop(0);
            checks.remove(port);
        }
        for (int port : wanted.keySet()) {
            if (!servers.containsKey(port)) {
                try {
                    servers.put(port, start(port));
                } catch (IOException e) {
                    LOG.warn("cannot serve a health check node port", "port", port, "service", wanted.get(port).service(),
                            "error", e.toString());
                }
            }
        }
    }

    private HttpServer start(int port) throws IOException {
        // The wildcard address of the node's namespace: every node address, as kube-proxy's default.
        HttpServer server = HttpServer.create(new InetSocketAddress(port), 16);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", exchange -> {
            try (exchange) {
                Check check = checks.get(port);
                int local = check == null ? 0 : check.localEndpoints();
                String body = "{\"service\":{\"namespace\":\"" + namespace(check) + "\",\"name\":\"" + name(check)
                              + "\"},\"localEndpoints\":" + local + "}\n";
                byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().set("Content-Type", "application/json");
                exchange.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
                exchange.sendResponseHeaders(local > 0 ? 200 : 503, bytes.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(bytes);
                }
            }
        });
        server.start();
        return server;
    }

    private static String namespace(Check check) {
        return check == null ? "" : check.service().substring(0, check.service().indexOf('/'));
    }

    private static String name(Check check) {
        return check == null ? "" : check.service().substring(check.service().indexOf('/') + 1);
    }

    synchronized Set<Integer> ports() {
        return Set.copyOf(servers.keySet());
    }

    @Override
    public synchronized void close() {
        servers.values().forEach(s -> s.stop(0));
        servers.clear();
    }
}
