package dev.jute.inbox.cluster;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The API discovery documents a real API server publishes and the mock server lacks: without them
 * {@code kubectl} cannot map "pods" or "networkpolicies" to a path. Static, because the in-box cluster
 * serves a fixed set of resources.
 */
final class DiscoveryDocuments {

    /** One resource of a group-version. */
    private record Resource(String name, String singular, String kind, boolean namespaced, List<String> shortNames) {
        String json() {
            return """
                    {"name":"%s","singularName":"%s","namespaced":%s,"kind":"%s","verbs":["create","delete","deletecollection","get","list","patch","update","watch"]%s}"""
                    .formatted(name, singular, namespaced, kind, shortNames.isEmpty() ? ""
                            : ",\"shortNames\":[" + shortNames.stream().map(s -> "\"" + s + "\"").collect(Collectors.joining(",")) + "]");
        }
    }

    private static final Map<String, List<Resource>> RESOURCES = new LinkedHashMap<>();

    static {
        RESOURCES.put("v1", List.of(
                new Resource("pods", "pod", "Pod", true, List.of("po")),
                new Resource("pods/status", "", "Pod", true, List.of()),
                new Resource("services", "service", "Service", true, List.of("svc")),
                new Resource("namespaces", "namespace", "Namespace", false, List.of("ns")),
                new Resource("nodes", "node", "Node", false, List.of("no")),
                new Resource("endpoints", "endpoints", "Endpoints", true, List.of("ep")),
                new Resource("configmaps", "configmap", "ConfigMap", true, List.of("cm")),
                new Resource("serviceaccounts", "serviceaccount", "ServiceAccount", true, List.of("sa")),
                new Resource("events", "event", "Event", true, List.of("ev"))));
        RESOURCES.put("apps/v1", List.of(
                new Resource("deployments", "deployment", "Deployment", true, List.of("deploy")),
                new Resource("daemonsets", "daemonset", "DaemonSet", true, List.of("ds"))));
        RESOURCES.put("networking.k8s.io/v1", List.of(
                new Resource("networkpolicies", "networkpolicy", "NetworkPolicy", true, List.of("netpol"))));
        RESOURCES.put("discovery.k8s.io/v1", List.of(
                new Resource("endpointslices", "endpointslice", "EndpointSlice", true, List.of())));
    }

    private DiscoveryDocuments() {
    }

    /** The discovery document for {@code path} (no query string), if it is a discovery path. */
    static Optional<String> forPath(String path) {
        if (path.equals("/api")) {
            return Optional.of("""
                    {"kind":"APIVersions","versions":["v1"],"serverAddressByClientCIDRs":[{"clientCIDR":"0.0.0.0/0","serverAddress":"127.0.0.1"}]}""");
        }
        if (path.equals("/apis")) {
            String groups = RESOURCES.keySet().stream().filter(gv -> gv.contains("/")).map(gv -> {
                String group = gv.substring(0, gv.indexOf('/'));
                String version = """
                        {"groupVersion":"%s","version":"v1"}""".formatted(gv);
                return """
                        {"name":"%s","versions":[%s],"preferredVersion":%s}""".formatted(group, version, version);
            }).collect(Collectors.joining(","));
            return Optional.of("{\"kind\":\"APIGroupList\",\"apiVersion\":\"v1\",\"groups\":[" + groups + "]}");
        }
        if (path.equals("/version")) {
            return Optional.of("""
                    {"major":"1","minor":"32","gitVersion":"v1.32.0-jute-inbox","gitCommit":"","gitTreeState":"clean","buildDate":"2025-01-01T00:00:00Z","goVersion":"","compiler":"java","platform":"linux/amd64"}""");
        }
        String groupVersion = null;
        if (path.equals("/api/v1")) {
            groupVersion = "v1";
        } else if (path.startsWith("/apis/") && path.chars().filter(c -> c == '/').count() == 3) {
            groupVersion = path.substring("/apis/".length());
        }
        if (groupVersion == null || !RESOURCES.containsKey(groupVersion)) {
            return Optional.empty();
        }
        String resources = RESOURCES.get(groupVersion).stream().map(Resource::json).collect(Collectors.joining(","));
        return Optional.of("{\"kind\":\"APIResourceList\",\"apiVersion\":\"v1\",\"groupVersion\":\"" + groupVersion
                           + "\",\"resources\":[" + resources + "]}");
    }
}
