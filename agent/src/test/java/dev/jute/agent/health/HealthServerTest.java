package dev.jute.agent.health;

import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HealthServerTest {

    @Test
    void probesReflectTheChecksAndMetricsAreServed() throws Exception {
        AtomicReference<List<String>> readiness = new AtomicReference<>(List.of("informer Pod has not synced"));
        String metrics = new PrometheusText().family("jute_x", "gauge", "An example.")
                .sample("jute_x", Map.of("kind", "a\"b"), 1).toString();
        try (HealthServer server = HealthServer.start(new InetSocketAddress("127.0.0.1", 0), List::of, readiness::get, () -> metrics);
             HttpClient http = HttpClient.newHttpClient()) {
            String base = "http://127.0.0.1:" + server.address().getPort();
            assertEquals(200, get(http, base + "/healthz").statusCode());
            HttpResponse<String> notReady = get(http, base + "/readyz");
            assertEquals(503, notReady.statusCode());
            assertTrue(notReady.body().contains("informer Pod has not synced"));
            readiness.set(List.of());
            assertEquals(200, get(http, base + "/readyz").statusCode());
            HttpResponse<String> scraped = get(http, base + "/metrics");
            assertEquals(200, scraped.statusCode());
            assertTrue(scraped.headers().firstValue("Content-Type").orElseThrow().startsWith("text/plain; version=0.0.4"));
            assertEquals("# HELP jute_x An example.\n# TYPE jute_x gauge\njute_x{kind=\"a\\\"b\"} 1\n", scraped.body());
            assertEquals(404, get(http, base + "/metrics/extra").statusCode());
        }
    }

    private static HttpResponse<String> get(HttpClient http, String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
