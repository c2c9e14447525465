package dev.jute.inbox.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One NetworkPolicy truth-table case file (format: shared/conformance/netpol/README.md): the model
 * (namespaces, pods with their served ports, services) and the steps. Steps stay JSON: the runner
 * interprets them in order.
 */
record NetpolCase(Path file, String id, String name, List<String> tags, JsonNode model, List<JsonNode> steps) {

    private static final ObjectMapper JSON = new ObjectMapper();

    static NetpolCase read(Path file) throws IOException {
        JsonNode root = JSON.readTree(file.toFile());
        if (!root.path("model").isObject() || !root.path("steps").isArray()) {
            throw new IOException(file + " is not a netpol case: it needs \"model\" and \"steps\"");
        }
        List<String> tags = new ArrayList<>();
        root.path("tags").forEach(t -> tags.add(t.asText()));
        List<JsonNode> steps = new ArrayList<>();
        root.path("steps").forEach(steps::add);
        String name = root.path("name").asText(file.getFileName().toString());
        return new NetpolCase(file, root.path("id").asText(file.getFileName().toString()), name, tags, root.path("model"), steps);
    }

    /** The protocols the case's pods serve. */
    List<String> protocols() {
        List<String> protocols = new ArrayList<>();
        model.path("pods").forEach(pod -> pod.path("containers").forEach(c -> {
            String protocol = c.path("protocol").asText("TCP");
            if (!protocols.contains(protocol)) {
                protocols.add(protocol);
            }
        }));
        return protocols;
    }

    String title() {
        String text = file.getFileName().toString();
        return text.endsWith(".json") ? text.substring(0, text.length() - 5) : text;
    }
}
