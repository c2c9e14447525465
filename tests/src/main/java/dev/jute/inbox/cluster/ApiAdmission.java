package dev.jute.inbox.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The defaulting a real API server applies on create and update, for the kinds the in-box cluster
 * cares about: the {@code kubernetes.io/metadata.name} label of Namespaces, {@code protocol: TCP} of
 * container, Service and NetworkPolicy ports, a Service's targetPort, and a NetworkPolicy's policyTypes.
 * Policies and probes rely on these being present, as they are on a real cluster.
 */
final class ApiAdmission {

    private ApiAdmission() {
    }

    static void defaultNamespace(ObjectNode namespace) {
        String name = namespace.path("metadata").path("name").asText("");
        if (!name.isEmpty()) {
            namespace.with("metadata").with("labels").put("kubernetes.io/metadata.name", name);
        }
    }

    static void defaultPod(ObjectNode pod) {
        for (String list : new String[] {"containers", "initContainers"}) {
            for (JsonNode container : pod.path("spec").path(list)) {
                for (JsonNode port : container.path("ports")) {
                    defaultProtocol((ObjectNode) port);
                }
            }
        }
    }

    static void defaultService(ObjectNode service) {
        for (JsonNode port : service.path("spec").path("ports")) {
            ObjectNode p = (ObjectNode) port;
            defaultProtocol(p);
            if (p.path("targetPort").isMissingNode() || p.path("targetPort").isNull()) {
                p.set("targetPort", p.path("port"));
            }
        }
    }

    static void defaultNetworkPolicy(ObjectNode policy) {
        ObjectNode spec = policy.with("spec");
        for (String direction : new String[] {"ingress", "egress"}) {
            for (JsonNode rule : spec.path(direction)) {
                for (JsonNode port : rule.path("ports")) {
                    defaultProtocol((ObjectNode) port);
                }
            }
        }
        if (!spec.has("podSelector")) {
            spec.putObject("podSelector");
        }
        if (!spec.has("policyTypes") || spec.path("policyTypes").isEmpty()) {
            ArrayNode types = spec.putArray("policyTypes");
            types.add("Ingress");
            if (spec.has("egress")) {
                types.add("Egress");
            }
        }
    }

    private static void defaultProtocol(ObjectNode port) {
        if (port.path("protocol").asText("").isEmpty()) {
            port.put("protocol", "TCP");
        }
    }
}
