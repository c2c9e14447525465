package dev.jute.agent.service;

import dev.jute.dataplane.bpf.ServiceFrontend;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Random sequences of cluster changes: after every step the {@link IncrementalServiceCompiler} must hold
 * exactly what a full {@link ServiceCompiler#compile} of the same state gives (frontends and problems), and
 * its {@code changed} keys must cover every frontend whose value differs from the previous step.
 *
 * <p>The generators draw from small pools on purpose, so Services collide on ClusterIPs, external IPs,
 * LoadBalancer ingress IPs, node addresses and ports, and a Service often names one frontend twice.
 * Reproducible: sequence {@code i} uses seed {@code base + i}; a failure names its seed, and
 * {@code -Djute.servicePropertySeed=<seed>} runs that one sequence alone.
 */
class IncrementalServiceCompilerPropertyTest {

    private static final long BASE_SEED = 0x5EED_2024L;
    private static final int SEQUENCES = 300;
    private static final int STEPS = 40;

    private static final List<String> SERVICE_NAMES = List.of("ns/a", "ns/b", "ns/c", "ns/d", "other/a");
    private static final List<String> CLUSTER_IPS = List.of("10.96.0.1", "10.96.0.2", "10.96.0.3");
    /** External addresses: two of their own, a ClusterIP and a node address, so every kind of frontend collides. */
    private static final List<String> EXTERNAL_IPS = List.of("192.0.2.1", "192.0.2.2", "10.96.0.1", "172.18.0.2", "fd00:96::9");
    private static final List<String> PORT_NAMES = List.of("", "http", "dns", "metrics");
    /** 30000 is also a node port: a LoadBalancer port 30000 collides with a NodePort on a node address. */
    private static final List<Integer> PORTS = List.of(80, 443, 30000);
    private static final List<Integer> NODE_PORTS = List.of(30000, 30001);
    private static final List<String> ENDPOINT_IPS = List.of("10.244.0.1", "10.244.0.2", "10.244.1.1", "10.244.1.2",
            "fd00:244::1", "not-an-ip");
    private static final List<String> NODE_ADDRESSES = List.of("172.18.0.2", "172.18.0.3", "fd00:18::2");

    @Test
    void incrementalCompileAlwaysEqualsAFullCompile() {
        String only = System.getProperty("jute.servicePropertySeed");
        if (only != null) {
            runSequence(Long.parseLong(only));
            return;
        }
        for (int i = 0; i < SEQUENCES; i++) {
            runSequence(BASE_SEED + i);
        }
    }

    /** The cluster as the informers would show it, and how it got there (for the failure message). */
    private static final class Cluster {
        final Random random;
        final Map<String, Service> services = new TreeMap<>();
        final Map<String, EndpointSlice> slices = new TreeMap<>();
        ServiceCompiler.NodeContext node;
        long resourceVersion;
        long uid;
        final Deque<String> history = new ArrayDeque<>();

        Cluster(long seed) {
            random = new Random(seed);
            node = new ServiceCompiler.NodeContext("node1", List.of(InetAddress.ofLiteral("172.18.0.2")));
        }

        String nextVersion() {
            return Long.toString(++resourceVersion);
        }

        String nextUid() {
            return "uid-" + ++uid;
        }

        <T> T pick(List<T> from) {
            return from.get(random.nextInt(from.size()));
        }

        boolean chance(int percent) {
            return random.nextInt(100) < percent;
        }

        void record(String action) {
            history.addLast(action);
        }
    }

    private static void runSequence(long seed) {
        Cluster cluster = new Cluster(seed);
        IncrementalServiceCompiler compiler = new IncrementalServiceCompiler();
        Map<ServiceFrontend.Key, CompiledFrontend> previous = Map.of();
        for (int step = 0; step < STEPS; step++) {
            if (step > 0) {
                change(cluster);
            }
            List<Service> services = new ArrayList<>(cluster.services.values());
            List<EndpointSlice> slices = new ArrayList<>(cluster.slices.values());
            // The informers' lists come in no particular order.
            java.util.Collections.shuffle(services, cluster.random);
            java.util.Collections.shuffle(slices, cluster.random);
            try {
                IncrementalServiceCompiler.Update update = compiler.compile(services, slices, cluster.node);
                ServiceCompiler.Result full = ServiceCompiler.compile(services, slices, cluster.node);
                Map<ServiceFrontend.Key, CompiledFrontend> now = Map.copyOf(update.frontends());
                assertSameFrontends(full.frontends(), now);
                assertEquals(full.problems(), update.problems(), "problems");
                if (!update.full()) { // a full update makes the syncer compare everything
                    Map<ServiceFrontend.Key, CompiledFrontend> before = previous;
                    Set<ServiceFrontend.Key> differing = new HashSet<>(before.keySet());
                    differing.addAll(now.keySet());
                    differing.removeIf(k -> Objects.equals(before.get(k), now.get(k)));
                    differing.removeAll(update.changed());
                    assertTrue(differing.isEmpty(), "changed misses " + differing);
                }
                previous = now;
            } catch (AssertionError | RuntimeException e) {
                throw new AssertionError("sequence seed " + seed + " (rerun alone with -Djute.servicePropertySeed=" + seed
                                         + "), step " + step + ": " + e.getMessage() + "\nsteps:\n  "
                                         + String.join("\n  ", cluster.history), e);
            }
        }
    }

    /** Names only the frontends that differ: the maps are too large to read whole. */
    private static void assertSameFrontends(Map<ServiceFrontend.Key, CompiledFrontend> expected,
                                            Map<ServiceFrontend.Key, CompiledFrontend> actual) {
        if (expected.equals(actual)) {
            return;
        }
        StringBuilder differences = new StringBuilder("frontends differ from a full compile:");
        Set<ServiceFrontend.Key> keys = new HashSet<>(expected.keySet());
        keys.addAll(actual.keySet());
        for (ServiceFrontend.Key key : keys) {
            if (!Objects.equals(expected.get(key), actual.get(key))) {
                differences.append("\n    ").append(key).append(": full ").append(expected.get(key))
                        .append("\n    ").append(" ".repeat(key.toString().length())).append("  incremental ").append(actual.get(key));
            }
        }
        throw new AssertionError(differences.toString());
    }

    /** One random change, as the API server would make it: new instances, new resourceVersions. */
    private static void change(Cluster c) {
        int roll = c.random.nextInt(100);
        if (roll < 35) {
            String key = c.pick(SERVICE_NAMES);
            Service previous = c.services.get(key);
            Service next = randomService(c, key, previous == null || c.chance(10) ? c.nextUid() : previous.getMetadata().getUid());
            c.services.put(key, next);
            c.record((previous == null ? "create " : "update ") + describe(next));
        } else if (roll < 45) {
            String key = c.pick(SERVICE_NAMES);
            if (c.services.remove(key) != null) {
                c.record("delete service " + key);
            }
        } else if (roll < 75) {
            String name = c.pick(SERVICE_NAMES) + "-" + c.pick(List.of("x", "y"));
            EndpointSlice previous = c.slices.get(name);
            EndpointSlice next = randomSlice(c, name, previous == null ? c.nextUid() : previous.getMetadata().getUid());
            c.slices.put(name, next);
            c.record((previous == null ? "create " : "update ") + describe(next));
        } else if (roll < 87) {
            String name = c.pick(SERVICE_NAMES) + "-" + c.pick(List.of("x", "y"));
            if (c.slices.remove(name) != null) {
                c.record("delete slice " + name);
            }
        } else if (roll < 94) {
            List<InetAddress> addresses = new ArrayList<>();
            for (String a : NODE_ADDRESSES) {
                if (c.chance(50)) {
                    addresses.add(InetAddress.ofLiteral(a));
                }
            }
            c.node = new ServiceCompiler.NodeContext(c.chance(90) ? "node1" : "node2", addresses);
            c.record("node " + c.node);
        } else {
            // An informer re-list: new instances of unchanged objects (same uid and resourceVersion).
            c.services.replaceAll((k, s) -> new ServiceBuilder(s).build());
            c.slices.replaceAll((k, s) -> new EndpointSliceBuilder(s).build());
            c.record("re-list");
        }
    }

    private static Service randomService(Cluster c, String key, String uid) {
        String[] nsName = key.split("/");
        String type = c.pick(List.of("ClusterIP", "ClusterIP", "NodePort", "LoadBalancer", "LoadBalancer", "ExternalName"));
        ServiceBuilder b = new ServiceBuilder().withNewMetadata().withNamespace(nsName[0]).withName(nsName[1]).withUid(uid)
                .withResourceVersion(c.nextVersion()).endMetadata().withNewSpec().withType(type).endSpec();
        if (type.equals("ExternalName")) {
            return b.editSpec().withExternalName("example.com").endSpec().build();
        }
        List<String> clusterIps = new ArrayList<>();
        int roll = c.random.nextInt(100);
        if (roll < 10) {
            clusterIps.add("None"); // headless
        } else if (roll < 13) {
            clusterIps.add("10.96.0.300"); // a problem
        } else {
            clusterIps.add(c.pick(CLUSTER_IPS));
            if (c.chance(15)) {
                clusterIps.add("fd00:96::" + (1 + c.random.nextInt(2)));
            }
        }
        b.editSpec().withClusterIP(clusterIps.getFirst()).withClusterIPs(clusterIps).endSpec();
        int ports = 1 + c.random.nextInt(3);
        for (int i = 0; i < ports; i++) {
            ServicePortBuilder port = new ServicePortBuilder().withName(c.pick(PORT_NAMES)).withPort(c.pick(PORTS))
                    .withProtocol(c.chance(95) ? c.pick(List.of("TCP", "TCP", "UDP")) : "ICMP")
                    .withTargetPort(c.chance(50) ? new IntOrString(c.pick(List.of("http", "dns"))) : new IntOrString(8080));
            if (!type.equals("ClusterIP") && c.chance(80)) {
                port.withNodePort(c.pick(NODE_PORTS));
            }
            b.editSpec().addToPorts(port.build()).endSpec();
        }
        if (c.chance(25)) {
            List<String> externalIps = new ArrayList<>();
            for (int i = 1 + c.random.nextInt(2); i > 0; i--) {
                externalIps.add(c.pick(EXTERNAL_IPS));
            }
            b.editSpec().withExternalIPs(externalIps).endSpec();
        }
        if (type.equals("LoadBalancer") && c.chance(70)) {
            b.withNewStatus().withNewLoadBalancer().addNewIngress().withIp(c.pick(EXTERNAL_IPS)).endIngress()
                    .addNewIngress().withHostname("lb.example.com").endIngress().endLoadBalancer().endStatus();
        }
        if (!type.equals("ClusterIP") && c.chance(40)) {
            b.editSpec().withExternalTrafficPolicy(c.pick(List.of("Local", "Cluster"))).endSpec();
        }
        if (c.chance(30)) {
            b.editSpec().withInternalTrafficPolicy(c.pick(List.of("Local", "Cluster"))).endSpec();
        }
        if (c.chance(30)) {
            b.editSpec().withSessionAffinity("ClientIP").endSpec();
            if (c.chance(60)) {
                int timeout = c.pick(List.of(0, 60, 10_800, 86_401));
                b.editSpec().withNewSessionAffinityConfig().withNewClientIP().withTimeoutSeconds(timeout).endClientIP()
                        .endSessionAffinityConfig().endSpec();
            }
        }
        return b.build();
    }

    private static EndpointSlice randomSlice(Cluster c, String name, String uid) {
        String[] nsName = name.split("/");
        String owner = nsName[1].substring(0, nsName[1].lastIndexOf('-'));
        EndpointSliceBuilder b = new EndpointSliceBuilder().withNewMetadata().withNamespace(nsName[0]).withName(nsName[1])
                .withUid(uid).withResourceVersion(c.nextVersion()).endMetadata().withAddressType("IPv4");
        if (c.chance(92)) { // some slices belong to no Service, or move to another one
            b.editMetadata().addToLabels(ServiceCompiler.SERVICE_NAME_LABEL, c.chance(90) ? owner : c.pick(List.of("a", "b"))).endMetadata();
        }
        int ports = c.random.nextInt(3);
        for (int i = 0; i < ports; i++) {
            b.addNewPort().withName(c.chance(15) ? null : c.pick(PORT_NAMES)).withPort(c.pick(List.of(8080, 8443, 9053)))
                    .withProtocol(c.chance(20) ? null : c.pick(List.of("TCP", "UDP"))).endPort();
        }
        int endpoints = c.random.nextInt(4);
        for (int i = 0; i < endpoints; i++) {
            EndpointBuilder e = new EndpointBuilder().withAddresses(c.pick(ENDPOINT_IPS))
                    .withNodeName(c.pick(java.util.Arrays.asList("node1", "node2", null)));
            if (c.chance(80)) {
                e.withNewConditions().withReady(randomBoolean(c)).withServing(randomBoolean(c)).withTerminating(randomBoolean(c))
                        .endConditions();
            }
            b.addToEndpoints(e.build());
        }
        return b.build();
    }

    private static Boolean randomBoolean(Cluster c) {
        int roll = c.random.nextInt(10);
        return roll == 0 ? null : roll < 6;
    }

    private static String describe(Service s) {
        var spec = s.getSpec();
        StringBuilder text = new StringBuilder("service " + ServiceCompiler.keyOf(s) + " uid=" + s.getMetadata().getUid() + " "
                                               + spec.getType() + " clusterIPs=" + spec.getClusterIPs());
        if (spec.getPorts() != null) {
            for (ServicePort p : spec.getPorts()) {
                text.append(" port[").append(p.getName()).append(' ').append(p.getPort()).append('/').append(p.getProtocol())
                        .append(p.getNodePort() == null ? "" : " nodePort " + p.getNodePort()).append(']');
            }
        }
        if (spec.getExternalIPs() != null && !spec.getExternalIPs().isEmpty()) {
            text.append(" externalIPs=").append(spec.getExternalIPs());
        }
        if (s.getStatus() != null && s.getStatus().getLoadBalancer() != null) {
            text.append(" ingress=").append(s.getStatus().getLoadBalancer().getIngress().stream()
                    .map(i -> i.getIp() == null ? i.getHostname() : i.getIp()).toList());
        }
        text.append(" etp=").append(spec.getExternalTrafficPolicy()).append(" itp=").append(spec.getInternalTrafficPolicy())
                .append(" affinity=").append(spec.getSessionAffinity());
        return text.toString();
    }

    private static String describe(EndpointSlice s) {
        StringBuilder text = new StringBuilder("slice " + s.getMetadata().getNamespace() + "/" + s.getMetadata().getName()
                                               + " owner=" + (s.getMetadata().getLabels() == null ? null
                : s.getMetadata().getLabels().get(ServiceCompiler.SERVICE_NAME_LABEL)));
        s.getPorts().forEach(p -> text.append(" port[").append(p.getName()).append(' ').append(p.getPort()).append('/')
                .append(p.getProtocol()).append(']'));
        for (Endpoint e : s.getEndpoints()) {
            text.append(" ep[").append(e.getAddresses()).append(" on ").append(e.getNodeName());
            if (e.getConditions() != null) {
                text.append(" r=").append(e.getConditions().getReady()).append(" s=").append(e.getConditions().getServing())
                        .append(" t=").append(e.getConditions().getTerminating());
            }
            text.append(']');
        }
        return text.toString();
    }
}
