package dev.jute.inbox.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code jute conformance netpol DIR [--phase setup]}: runs every truth-table case of DIR on a fresh
 * in-box cluster (namespaces x, y, z; pods a, b, c serving the case's ports, spread over the nodes),
 * performs its steps and probes every ordered pair with real traffic in parallel. A case passes when
 * every probe matches its expectation. Every pod gets the ClusterIP Service the model gives it (upstream's
 * {@code s-<namespace>-<pod>}, or one built the same way when the model lists none); a {@code viaService}
 * probe connects to that Service's ClusterIP and port, so policy is judged after Service translation, as
 * on a real cluster. Other probes go to the pod's address. With {@code --phase setup} only the probes before any policy run
 * (everything must be reachable), which is meaningful before NetworkPolicy is enforced.
 */
public final class NetpolConformance {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(2);
    /** How long a probe whose truth table does not match yet is retried (policy changes converge via watches). */
    private static final Duration CONVERGENCE_TIMEOUT = Duration.ofSeconds(15);

    private enum Verdict { PASSED, FAILED, SKIPPED }

    private NetpolConformance() {
    }

    public static int run(List<String> args) throws Exception {
        if (args.size() < 2 || !args.getFirst().equals("netpol")) {
            System.err.println("usage: jute conformance netpol DIR [--phase setup|all] [--nodes N]");
            return 2;
        }
        Path dir = Path.of(args.get(1));
        boolean setupOnly = false;
        int nodes = 3;
        for (int i = 2; i < args.size(); i++) {
            switch (args.get(i)) {
                case "--phase" -> {
                    String phase = args.get(++i);
                    if (!phase.equals("setup") && !phase.equals("all")) {
                        throw new IllegalArgumentException("--phase must be setup or all, not " + phase);
                    }
                    setupOnly = phase.equals("setup");
                }
                case "--nodes" -> nodes = Integer.parseInt(args.get(++i));
                default -> throw new IllegalArgumentException("unknown option " + args.get(i));
            }
        }
        List<Path> files;
        try (var list = Files.list(dir)) {
            files = list.filter(p -> p.toString().endsWith(".json")).sorted().toList();
        }
        if (files.isEmpty()) {
            System.err.println("no case files (*.json) in " + dir);
            return 2;
        }
        boolean sctp = NetnsSockets.sctpAvailable();
        System.out.println("NetworkPolicy truth-table cases from " + dir + ": " + files.size() + " files, phase "
                           + (setupOnly ? "setup (probes before any policy)" : "all") + ", " + nodes + " nodes"
                           + (sctp ? "" : "; this kernel has no SCTP: SCTP cases are skipped"));
        System.out.println("viaService probes connect to each pod's ClusterIP Service (translated by Jute's Service NAT); the others to pod IPs.");
        int passed = 0;
        int failed = 0;
        int skipped = 0;
        for (Path file : files) {
            NetpolCase testCase;
            try {
                testCase = NetpolCase.read(file);
            } catch (Exception e) {
                System.out.println("FAIL " + file.getFileName() + ": unreadable: " + e.getMessage());
                failed++;
                continue;
            }
            if (testCase.protocols().contains("SCTP") && !sctp) {
                System.out.println("SKIP " + testCase.title() + ": needs SCTP, which this kernel lacks (modprobe sctp)");
                skipped++;
                continue;
            }
            long start = System.nanoTime();
            List<String> problems = new ArrayList<>();
            Verdict verdict;
            try {
                verdict = runCase(testCase, setupOnly, nodes, problems);
            } catch (Exception e) {
                problems.add("error: " + e);
                verdict = Verdict.FAILED;
            }
            String seconds = String.format(Locale.ROOT, "%.1fs", (System.nanoTime() - start) / 1e9);
            switch (verdict) {
                case PASSED -> {
                    passed++;
                    System.out.println("PASS " + testCase.title() + " (" + seconds + ")");
                }
                case FAILED -> {
                    failed++;
                    System.out.println("FAIL " + testCase.title() + " (" + seconds + ")");
                    problems.stream().limit(20).forEach(p -> System.out.println("     " + p));
                    if (problems.size() > 20) {
                        System.out.println("     ... " + (problems.size() - 20) + " more");
                    }
                }
                case SKIPPED -> {
                    skipped++;
                    System.out.println("SKIP " + testCase.title() + ": " + String.join("; ", problems));
                }
            }
        }
        if (skipped > 0) {
            System.out.println(skipped + " skipped");
        }
        System.out.println(passed + " passed, " + failed + " failed");
        return failed == 0 ? 0 : 1;
    }

    private static Verdict runCase(NetpolCase testCase, boolean setupOnly, int nodes, List<String> problems) throws Exception {
        try (InboxCluster cluster = InboxCluster.start("conf", nodes)) {
            KubernetesClient client = cluster.client();
            Model model = createModel(cluster, testCase);
            Map<String, String> podIps = model.podIps();
            int probes = 0;
            for (int index = 0; index < testCase.steps().size(); index++) {
                JsonNode step = testCase.steps().get(index);
                String kind = step.fieldNames().next();
                JsonNode body = step.get(kind);
                if (setupOnly && !(kind.equals("probe") && body.path("phase").asText().equals("setup"))) {
                    // Setup probes come before any change; the first other step ends the setup phase.
                    break;
                }
                switch (kind) {
                    case "probe" -> {
                        probes++;
                        probe(cluster, body, model, "step " + (index + 1), problems);
                    }
                    case "apply" -> {
                        for (JsonNode policy : body) {
                            apply(client, substitute(policy.deepCopy(), podIps));
                        }
                    }
                    case "delete" -> {
                        for (JsonNode ref : body) {
                            client.network().v1().networkPolicies().inNamespace(ref.path("namespace").asText())
                                    .withName(ref.path("name").asText()).delete();
                        }
                    }
                    case "setNamespaceLabels" -> {
                        Namespace namespace = client.namespaces().withName(body.path("namespace").asText()).get();
                        namespace.getMetadata().setLabels(labels(body.path("labels")));
                        client.resource(namespace).update();
                    }
                    case "setPodLabels" -> {
                        Pod pod = client.pods().inNamespace(body.path("namespace").asText()).withName(body.path("pod").asText()).get();
                        pod.getMetadata().setLabels(labels(body.path("labels")));
                        client.resource(pod).update();
                    }
                    default -> throw new IllegalArgumentException("unknown step " + kind);
                }
            }
            if (probes == 0) {
                problems.add("no " + (setupOnly ? "setup " : "") + "probe in this case");
                return Verdict.SKIPPED;
            }
        }
        return problems.isEmpty() ? Verdict.PASSED : Verdict.FAILED;
    }

    /**
     * What the runner knows of a running model.
     *
     * @param podIps   every pod's IPv4 address, by "ns/pod"
     * @param services the ClusterIP Service in front of each pod, by "ns/pod"
     */
    private record Model(Map<String, String> podIps, Map<String, PodService> services) {
    }

    /** Creates namespaces, pods and the Service in front of each pod. */
    private static Model createModel(InboxCluster cluster, NetpolCase testCase) throws Exception {
        JsonNode model = testCase.model();
        KubernetesClient client = cluster.client();
        for (Iterator<Map.Entry<String, JsonNode>> it = model.path("namespaces").fields(); it.hasNext(); ) {
            var entry = it.next();
            client.resource(new NamespaceBuilder().withNewMetadata().withName(entry.getKey())
                    .withLabels(labels(entry.getValue().path("labels"))).endMetadata().build()).create();
        }
        Map<String, List<String>> podsByNamespace = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = model.path("pods").fields(); it.hasNext(); ) {
            var entry = it.next();
            String[] ref = entry.getKey().split("/");
            PodBuilder pod = new PodBuilder().withNewMetadata().withNamespace(ref[0]).withName(ref[1])
                    .withLabels(labels(entry.getValue().path("labels"))).endMetadata().withNewSpec().endSpec();
            for (JsonNode container : entry.getValue().path("containers")) {
                pod.editSpec().addToContainers(new ContainerBuilder()
                        .withName(container.path("name").asText("cont-" + container.path("containerPort").asInt()))
                        .withImage("jute/serve-hostname")
                        .addNewPort().withContainerPort(container.path("containerPort").asInt())
                        .withProtocol(container.path("protocol").asText("TCP"))
                        .withName(container.path("portName").isMissingNode() ? null : container.path("portName").asText())
                        .endPort().build()).endSpec();
            }
            client.resource(pod.build()).create();
            podsByNamespace.computeIfAbsent(ref[0], k -> new ArrayList<>()).add(ref[1]);
        }
        Map<String, PodService> services = new HashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = model.path("pods").fields(); it.hasNext(); ) {
            var entry = it.next();
            JsonNode declared = model.path("services").path(entry.getKey());
            Service service = declared.isObject() ? serviceOf(entry.getKey(), declared) : upstreamService(entry.getKey(), entry.getValue());
            services.put(entry.getKey(), PodService.of(client.resource(service).create()));
        }
        Map<String, String> ips = new HashMap<>();
        for (var entry : podsByNamespace.entrySet()) {
            for (Pod pod : cluster.awaitReady(entry.getKey(), entry.getValue(), Duration.ofSeconds(120))) {
                ips.put(entry.getKey() + "/" + pod.getMetadata().getName(), pod.getStatus().getPodIP());
            }
        }
        return new Model(ips, services);
    }

    /** A Service as the case's model declares it: {@code {"name", "selector", "ports": [{"name", "port", "protocol"}]}}. */
    private static Service serviceOf(String podRef, JsonNode declared) {
        ServiceBuilder builder = new ServiceBuilder().withNewMetadata().withNamespace(podRef.split("/")[0])
                .withName(declared.path("name").asText()).endMetadata()
                .withNewSpec().withType("ClusterIP").withSelector(labels(declared.path("selector"))).endSpec();
        for (JsonNode port : declared.path("ports")) {
            int number = port.path("port").asInt();
            builder.editSpec().addNewPort().withName(port.path("name").asText(null)).withPort(number)
                    .withTargetPort(new IntOrString(port.path("targetPort").asInt(number)))
                    .withProtocol(port.path("protocol").asText("TCP")).endPort().endSpec();
        }
        return builder.build();
    }

    /**
     * The Service upstream's model puts in front of a pod the case lists no Service for: {@code s-<ns>-<pod>},
     * selecting {@code pod=<name>}, one port per served port and protocol, port equal to targetPort.
     */
    private static Service upstreamService(String podRef, JsonNode pod) {
        String[] ref = podRef.split("/");
        ServiceBuilder builder = new ServiceBuilder().withNewMetadata().withNamespace(ref[0])
                .withName("s-" + ref[0] + "-" + ref[1]).endMetadata()
                .withNewSpec().withType("ClusterIP").addToSelector("pod", ref[1]).endSpec();
        for (JsonNode container : pod.path("containers")) {
            int number = container.path("containerPort").asInt();
            String protocol = container.path("protocol").asText("TCP");
            builder.editSpec().addNewPort().withName("service-port-" + protocol.toLowerCase(Locale.ROOT) + "-" + number)
                    .withPort(number).withTargetPort(new IntOrString(number)).withProtocol(protocol).endPort().endSpec();
        }
        return builder.build();
    }

    private static void probe(InboxCluster cluster, JsonNode probe, Model model, String where,
                              List<String> problems) throws Exception {
        int port = probe.path("port").asInt();
        String protocol = probe.path("protocol").asText("TCP");
        boolean ignoreLoopback = probe.path("ignoreLoopback").asBoolean(false);
        boolean viaService = probe.path("viaService").asBoolean(false);
        List<Connectivity.Target> targets = new ArrayList<>();
        Map<String, String> answers = new HashMap<>();
        Map<Connectivity.Target, Boolean> expected = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> from = probe.path("expect").fields(); from.hasNext(); ) {
            var row = from.next();
            String[] fromRef = row.getKey().split("/");
            Path netns = cluster.podNetns(fromRef[0], fromRef[1])
                    .orElseThrow(() -> new IllegalStateException("pod " + row.getKey() + " is not running"));
            for (Iterator<Map.Entry<String, JsonNode>> to = row.getValue().fields(); to.hasNext(); ) {
                var cell = to.next();
                if (ignoreLoopback && cell.getKey().equals(row.getKey())) {
                    continue;
                }
                String ip = model.podIps().get(cell.getKey());
                if (ip == null) {
                    throw new IllegalStateException("probe names pod " + cell.getKey() + ", which the model lacks");
                }
                PodService service = model.services().get(cell.getKey());
                Connectivity.Target target = viaService
                        ? new Connectivity.Target(row.getKey(), netns, cell.getKey(), service.clusterIp(),
                                service.portFor(port, protocol), protocol)
                        : new Connectivity.Target(row.getKey(), netns, cell.getKey(), InetAddress.ofLiteral(ip), port, protocol);
                targets.add(target);
                expected.put(target, cell.getValue().asBoolean());
                answers.put(cell.getKey(), cell.getKey());
            }
        }
        // Like the upstream suite, a probe is retried while the truth table does not match yet: policy
        // changes reach the agents through watches, so a first probe may run before they converged.
        long deadline = System.nanoTime() + CONVERGENCE_TIMEOUT.toNanos();
        List<Connectivity.Outcome> outcomes = Connectivity.probeAll(targets, answers, PROBE_TIMEOUT);
        while (!matches(outcomes, expected) && System.nanoTime() < deadline) {
            Thread.sleep(500);
            outcomes = Connectivity.probeAll(targets, answers, PROBE_TIMEOUT);
        }
        for (Connectivity.Outcome outcome : outcomes) {
            boolean want = expected.get(outcome.target());
            if (outcome.reachable() != want) {
                problems.add(String.format(Locale.ROOT, "%s (%s %s/%d): %s -> %s expected %s, got %s%s", where,
                        probe.path("phase").asText(), protocol, port, outcome.target().from(), outcome.target().to(),
                        want ? "reachable" : "blocked", outcome.reachable() ? "reachable" : "blocked",
                        outcome.reachable() || outcome.result().error() == null ? "" : " (" + outcome.result().error() + ")"));
            }
        }
    }

    private static boolean matches(List<Connectivity.Outcome> outcomes, Map<Connectivity.Target, Boolean> expected) {
        for (Connectivity.Outcome outcome : outcomes) {
            if (outcome.reachable() != expected.get(outcome.target())) {
                return false;
            }
        }
        return true;
    }

    private static void apply(KubernetesClient client, JsonNode policyJson) throws Exception {
        NetworkPolicy policy = JSON.treeToValue(policyJson, NetworkPolicy.class);
        try {
            client.resource(policy).create();
        } catch (KubernetesClientException e) {
            if (e.getCode() != 409) {
                throw e;
            }
            client.resource(policy).update();
        }
    }

    /** Replaces {@code {"podCIDR": "y/b"}} and {@code {"podIPPrefix": "x/a", "prefixLength": 4}} with CIDR strings. */
    static JsonNode substitute(JsonNode node, Map<String, String> podIps) {
        if (node.isObject()) {
            if (node.has("podCIDR") && node.size() == 1) {
                String ip = require(podIps, node.path("podCIDR").asText());
                return TextNode.valueOf(ip + (InetAddress.ofLiteral(ip) instanceof Inet6Address ? "/128" : "/32"));
            }
            if (node.has("podIPPrefix")) {
                String ip = require(podIps, node.path("podIPPrefix").asText());
                return TextNode.valueOf(ip + "/" + node.path("prefixLength").asInt());
            }
            ObjectNode object = (ObjectNode) node;
            List<String> names = new ArrayList<>();
            object.fieldNames().forEachRemaining(names::add);
            for (String name : names) {
                object.set(name, substitute(object.get(name), podIps));
            }
            return object;
        }
        if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                ((com.fasterxml.jackson.databind.node.ArrayNode) node).set(i, substitute(node.get(i), podIps));
            }
        }
        return node;
    }

    private static String require(Map<String, String> podIps, String pod) {
        String ip = podIps.get(pod);
        if (ip == null) {
            throw new IllegalArgumentException("placeholder names pod " + pod + ", which the model lacks");
        }
        return ip;
    }

    private static Map<String, String> labels(JsonNode labels) {
        Map<String, String> map = new LinkedHashMap<>();
        labels.fields().forEachRemaining(e -> map.put(e.getKey(), e.getValue().asText()));
        return map;
    }
}
