package dev.jute.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.client.utils.Serialization;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Reads the NetworkPolicy truth-table cases of {@code shared/conformance/netpol} (see its README)
 * and builds the cluster model they describe: fake pod IPs {@code 10.0.<namespace>.<pod>} (both
 * counted from 1 in sorted order), placeholders in ipBlocks replaced by those IPs.
 */
final class ConformanceCases {

    static final ObjectMapper JSON = Serialization.jsonMapper();

    private ConformanceCases() {
    }

    /**
     * {@code -Djute.netpol.cases=<dir>} when given (the runner accepts any directory of case files),
     * else {@code ${jute.root}/../shared/conformance/netpol}, else found by walking up from the
     * working directory.
     */
    static Path directory() {
        String override = System.getProperty("jute.netpol.cases");
        if (override != null && !override.isBlank()) {
            return Path.of(override);
        }
        String root = System.getProperty("jute.root");
        if (root != null && !root.isBlank()) {
            Path candidate = Path.of(root).resolve("../shared/conformance/netpol").normalize();
            if (Files.isDirectory(candidate)) {
                return candidate;
            }
        }
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("shared/conformance/netpol");
            if (Files.isDirectory(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException("cannot find shared/conformance/netpol (jute.root=" + root
                + ", working directory " + Path.of("").toAbsolutePath() + ")");
    }

    static List<Path> caseFiles(Path directory) {
        try (Stream<Path> files = Files.list(directory)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".json")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static JsonNode read(Path file) {
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    /** The pods of a case's model, with fake IPs; keys are {@code ns/pod}. */
    static Map<String, Endpoint> pods(JsonNode model) {
        List<String> namespaceNames = new ArrayList<>();
        model.get("namespaces").fieldNames().forEachRemaining(namespaceNames::add);
        namespaceNames.sort(null);
        Map<String, Endpoint> pods = new LinkedHashMap<>();
        Map<String, Integer> podCountPerNamespace = new TreeMap<>();
        List<String> podKeys = new ArrayList<>();
        model.get("pods").fieldNames().forEachRemaining(podKeys::add);
        podKeys.sort(null);
        for (String key : podKeys) {
            ObjectRef ref = ObjectRef.parse(key);
            JsonNode pod = model.get("pods").get(key);
            int namespaceIndex = namespaceNames.indexOf(ref.namespace()) + 1;
            int podIndex = podCountPerNamespace.merge(ref.namespace(), 1, Integer::sum);
            List<ContainerPort> ports = new ArrayList<>();
            for (JsonNode container : pod.path("containers")) {
                ports.add(new ContainerPort(container.path("portName").asText(null), container.get("containerPort").asInt(),
                        Protocol.parse(container.path("protocol").asText("TCP")).orElseThrow()));
            }
            pods.put(key, new Endpoint(ref.namespace(), ref.name(), labels(pod.get("labels")),
                    List.of(address("10.0." + namespaceIndex + "." + podIndex)), ports));
        }
        return pods;
    }

    static Map<String, String> labels(JsonNode node) {
        Map<String, String> labels = new TreeMap<>();
        if (node != null) {
            node.fields().forEachRemaining(e -> labels.put(e.getKey(), e.getValue().asText()));
        }
        return labels;
    }

    static List<Namespace> namespaces(JsonNode model) {
        List<Namespace> namespaces = new ArrayList<>();
        model.get("namespaces").fields().forEachRemaining(
                e -> namespaces.add(new Namespace(e.getKey(), labels(e.getValue().get("labels")))));
        return namespaces;
    }

    /** A policy of an {@code apply} step with its placeholders replaced. */
    static NetworkPolicy policy(JsonNode policy, Map<String, Endpoint> pods) {
        JsonNode resolved = resolvePlaceholders(policy.deepCopy(), pods);
        try {
            return JSON.treeToValue(resolved, NetworkPolicy.class);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read policy " + policy, e);
        }
    }

    private static JsonNode resolvePlaceholders(JsonNode node, Map<String, Endpoint> pods) {
        if (node.isObject()) {
            if (node.has("podCIDR")) {
                InetAddress ip = ipOf(pods, node.get("podCIDR").asText());
                return new TextNode(ip.getHostAddress() + "/" + ip.getAddress().length * 8);
            }
            if (node.has("podIPPrefix")) {
                InetAddress ip = ipOf(pods, node.get("podIPPrefix").asText());
                return new TextNode(ip.getHostAddress() + "/" + node.get("prefixLength").asInt());
            }
            ObjectNode object = (ObjectNode) node;
            Iterator<Map.Entry<String, JsonNode>> fields = object.fields();
            List<Map.Entry<String, JsonNode>> entries = new ArrayList<>();
            fields.forEachRemaining(entries::add);
            for (Map.Entry<String, JsonNode> entry : entries) {
                object.set(entry.getKey(), resolvePlaceholders(entry.getValue(), pods));
            }
            return object;
        }
        if (node.isArray()) {
            var array = (com.fasterxml.jackson.databind.node.ArrayNode) node;
            for (int i = 0; i < array.size(); i++) {
                array.set(i, resolvePlaceholders(array.get(i), pods));
            }
        }
        return node;
    }

    private static InetAddress ipOf(Map<String, Endpoint> pods, String key) {
        Endpoint pod = pods.get(key);
        if (pod == null) {
            throw new IllegalArgumentException("placeholder names unknown pod " + key);
        }
        return pod.ips().getFirst();
    }

    static InetAddress address(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(literal, e);
        }
    }
}
