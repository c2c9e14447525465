package dev.jute.agent.policy;

import dev.jute.policy.Protocol;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The agent side of {@code jute policy}: admin socket commands over the running enforcer.
 * {@code policy-explain} takes {@code source}, {@code destination} and {@code port} ("80/TCP") and
 * answers {@code {"text": ...}}; {@code policy-drops} answers {@code {"drops": [...]}}.
 */
public final class PolicyAdmin {

    public static final String EXPLAIN = "policy-explain";
    public static final String DROPS = "policy-drops";

    private PolicyAdmin() {
    }

    public static Map<String, Function<Map<String, Object>, Map<String, Object>>> commands(PolicyEnforcer enforcer) {
        return Map.of(EXPLAIN, request -> explain(enforcer, request), DROPS, request -> drops(enforcer));
    }

    static Map<String, Object> explain(PolicyEnforcer enforcer, Map<String, Object> request) {
        try {
            String source = text(request, "source");
            String destination = text(request, "destination");
            Map.Entry<Integer, Protocol> port = PolicyAgent.portAndProtocol(text(request, "port"));
            return Map.of("text", enforcer.explain(source, destination, port.getKey(), port.getValue()));
        } catch (IllegalArgumentException e) {
            return Map.of("error", e.getMessage());
        }
    }

    static Map<String, Object> drops(PolicyEnforcer enforcer) {
        List<Object> rows = new ArrayList<>();
        for (PolicyEnforcer.EndpointDrops drop : enforcer.drops()) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("endpointId", (long) drop.endpointId());
            row.put("endpoint", drop.endpoint());
            row.put("direction", drop.direction());
            row.put("reason", drop.reason());
            row.put("packets", drop.packets());
            row.put("bytes", drop.bytes());
            rows.add(row);
        }
        return Map.of("drops", rows);
    }

    private static String text(Map<String, Object> request, String field) {
        if (!(request.get(field) instanceof String value) || value.isBlank()) {
            throw new IllegalArgumentException("missing field '" + field + "'");
        }
        return value;
    }
}
