package dev.jute.agent.health;

import dev.jute.agent.CniMetrics;
import dev.jute.agent.k8s.ClusterCache;
import dev.jute.agent.k8s.NodeRouteSync;
import dev.jute.ipam.Ipam;
import dev.jute.ipam.PoolUsage;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Collects the agent's metrics into Prometheus text on each scrape: CNI requests and their latency,
 * IPAM pool usage, informer sync and watch state, and direct-routing convergence. Sources that the
 * agent's mode does not have (no Kubernetes in static mode) are null and simply absent.
 */
public final class AgentMetrics {

    private final CniMetrics cni;
    private final Ipam ipam;
    private final ClusterCache cluster;
    private final NodeRouteSync routes;

    public AgentMetrics(CniMetrics cni, Ipam ipam, ClusterCache cluster, NodeRouteSync routes) {
        this.cni = cni;
        this.ipam = ipam;
        this.cluster = cluster;
        this.routes = routes;
    }

    public String scrape() {
        PrometheusText text = new PrometheusText();
        Map<String, CniMetrics.Series> series = new TreeMap<>(cni.snapshot());
        text.family("jute_cni_requests_total", "counter", "CNI requests served, by command and outcome.");
        series.forEach((key, s) -> text.sample("jute_cni_requests_total", labels(key), s.count()));
        text.family("jute_cni_request_duration_seconds", "summary", "Time to serve CNI requests, by command and outcome.");
        series.forEach((key, s) -> {
            text.sample("jute_cni_request_duration_seconds_sum", labels(key), s.meanMillis() * s.count() / 1000.0);
            text.sample("jute_cni_request_duration_seconds_count", labels(key), s.count());
        });
        text.family("jute_ipam_addresses_allocated", "gauge", "Addresses allocated from each pod CIDR.");
        for (PoolUsage usage : ipam.usage()) {
            text.sample("jute_ipam_addresses_allocated", Map.of("pool", usage.pool().toString()), usage.allocated());
        }
        text.family("jute_ipam_addresses_capacity", "gauge", "Assignable addresses of each pod CIDR.");
        for (PoolUsage usage : ipam.usage()) {
            text.sample("jute_ipam_addresses_capacity", Map.of("pool", usage.pool().toString()), usage.capacity().doubleValue());
        }
        if (cluster != null) {
            var state = cluster.state();
            text.family("jute_informer_synced", "gauge", "1 when the informer of a kind has completed its initial list.");
            state.forEach((kind, s) -> text.sample("jute_informer_synced", Map.of("kind", kind), s.synced() ? 1 : 0));
            text.family("jute_informer_watching", "gauge", "1 when the informer's watch is open.");
            state.forEach((kind, s) -> text.sample("jute_informer_watching", Map.of("kind", kind), s.watching() ? 1 : 0));
            text.family("jute_informer_objects", "gauge", "Objects in the informer's cache.");
            state.forEach((kind, s) -> text.sample("jute_informer_objects", Map.of("kind", kind), s.objects()));
            text.family("jute_informer_watch_errors_total", "counter", "Failed lists or watches (each one was retried).");
            text.sample("jute_informer_watch_errors_total", cluster.watchErrors());
        }
        if (routes != null) {
            text.family("jute_node_routes", "gauge", "Routes to other nodes' pod CIDRs that direct routing keeps.");
            text.sample("jute_node_routes", routes.installedRoutes());
            text.family("jute_node_route_sync_errors_total", "counter", "Route convergence passes that failed.");
            text.sample("jute_node_route_sync_errors_total", routes.errors());
            text.family("jute_node_route_sync_passes_total", "counter", "Route convergence passes that succeeded.");
            text.sample("jute_node_route_sync_passes_total", routes.passes());
        }
        return text.toString();
    }

    /** CniMetrics names a series "ADD ok" / "DEL error". */
    private static Map<String, String> labels(String key) {
        int space = key.indexOf(' ');
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put("command", space < 0 ? key : key.substring(0, space));
        labels.put("outcome", space < 0 ? "" : key.substring(space + 1));
        return labels;
    }
}
