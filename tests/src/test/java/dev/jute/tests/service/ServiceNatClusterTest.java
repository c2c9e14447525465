package dev.jute.tests.service;

import dev.jute.dataplane.bpf.FrontendScope;
import dev.jute.dataplane.bpf.ServiceEntry;
import dev.jute.dataplane.bpf.ServiceFrontend;
import dev.jute.dataplane.bpf.ServiceMaps;
import dev.jute.inbox.cluster.InboxCluster;
import dev.jute.inbox.cluster.NetnsSockets;
import dev.jute.inbox.cluster.Probe;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Service;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static dev.jute.tests.service.ServiceTestCluster.assertRefusedAtOnce;
import static dev.jute.tests.service.ServiceTestCluster.clusterIp;
import static dev.jute.tests.service.ServiceTestCluster.eventually;
import static dev.jute.tests.service.ServiceTestCluster.selecting;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Service NAT with real traffic in a three-node in-box cluster (real agents, real jute-cni, pods in
 * namespaces): ClusterIP from pods on every node, port mapping (named and numeric targetPort), TCP and
 * UDP, replies from the VIP, immediate refusal without endpoints, ClientIP affinity, NodePort from
 * outside the cluster with externalTrafficPolicy Cluster and Local, LoadBalancer address assignment
 * and reachability, the healthCheckNodePort, headless Services, a connection that survives an
 * endpoint change, and NetworkPolicy judging the translated backend. Backends web-1 (node1) and
 * web-2 (node2); clients on node1, node2, node3.
 */
class ServiceNatClusterTest {

    private static final String NS = "svc";
    private static final Duration TIMEOUT = ServiceTestCluster.PROBE_TIMEOUT;
    private static ServiceTestCluster services;
    private static InboxCluster cluster;

    @BeforeAll
    static void start() throws Exception {
        services = ServiceTestCluster.start(NS, 3, List.of(ServiceTestCluster.port("metrics", 9090, "TCP")), 1, 2, 3);
        cluster = services.cluster();
    }

    @AfterAll
    static void stop() {
        if (services != null) {
            services.close();
        }
    }

    @Test
    void clusterIpFromEveryNodeReachesReadyEndpointsOnEveryPortWithRepliesFromTheVip() throws Exception {
        Service web = services.create(selecting("web", "web").editSpec()
                .addNewPort().withName("http").withPort(80).withTargetPort(new IntOrString("http")).withProtocol("TCP").endPort()
                .addNewPort().withName("dns").withPort(53).withTargetPort(new IntOrString(5353)).withProtocol("UDP").endPort()
                .addNewPort().withName("metrics").withPort(9000).withTargetPort(new IntOrString(9090)).withProtocol("TCP").endPort()
                .endSpec());
        InetAddress vip = clusterIp(web);
        Set<String> backends = Set.of("svc/web-1", "svc/web-2");
        for (int i = 1; i <= 3; i++) {
            Path from = services.client(i);
            Set<String> seen = new HashSet<>();
            for (int port : new int[]{80, 9000}) {
                Probe.Result r = eventually(() -> Probe.run(from, "TCP", vip, port, TIMEOUT), Probe.Result::reachable,
                        "client-" + i + " → " + vip.getHostAddress() + ":" + port);
                assertTrue(backends.contains(r.answer()), r.toString());
            }
            // A connected UDP socket only accepts datagrams from the VIP: an answer proves the reverse NAT.
            Probe.Result udp = eventually(() -> Probe.run(from, "UDP", vip, 53, TIMEOUT), Probe.Result::reachable,
                    "client-" + i + " → " + vip.getHostAddress() + ":53/UDP");
            assertTrue(backends.contains(udp.answer()), udp.toString());
            for (int attempt = 0; attempt < 40 && seen.size() < 2; attempt++) {
                Probe.Result r = Probe.run(from, "TCP", vip, 80, TIMEOUT);
                assertTrue(r.reachable(), r.toString());
                seen.add(r.answer());
            }
            assertEquals(backends, seen, "client-" + i + " is balanced over both endpoints");
        }
        // A port the Service does not declare is not translated (and nothing listens on the VIP).
        assertFalse(Probe.run(services.client(1), "TCP", vip, 8080, Duration.ofMillis(500)).reachable());
    }

    @Test
    void serviceWithoutReadyEndpointsRefusesAtOnce() throws Exception {
        Service empty = services.create(selecting("empty", "nobody").editSpec().addNewPort().withPort(80).withProtocol("TCP").endPort()
                .addNewPort().withName("u").withPort(53).withProtocol("UDP").endPort().endSpec());
        assertRefusedAtOnce(services.client(2), clusterIp(empty));
    }

    @Test
    void clientIpAffinityKeepsEachClientOnOneEndpoint() throws Exception {
        Service sticky = services.create(selecting("sticky", "web").editSpec().withSessionAffinity("ClientIP")
                .withNewSessionAffinityConfig().withNewClientIP().withTimeoutSeconds(60).endClientIP().endSessionAffinityConfig()
                .addNewPort().withPort(80).withTargetPort(new IntOrString(8080)).withProtocol("TCP").endPort().endSpec());
        InetAddress vip = clusterIp(sticky);
        for (int i = 1; i <= 3; i++) {
            Path from = services.client(i);
            String first = eventually(() -> Probe.run(from, "TCP", vip, 80, TIMEOUT), Probe.Result::reachable, "sticky").answer();
            for (int n = 0; n < 15; n++) {
                assertEquals(first, Probe.run(from, "TCP", vip, 80, TIMEOUT).answer(), "client-" + i + " probe " + n);
            }
        }
    }

    @Test
    void nodePortFromOutsideWithClusterAndLocalTrafficPolicy() throws Exception {
        Service cluster_ = services.create(selecting("np", "web").editSpec().withType("NodePort")
                .addNewPort().withPort(80).withTargetPort(new IntOrString(7070)).withProtocol("TCP").endPort().endSpec());
        Service local = services.create(selecting("np-local", "web").editSpec().withType("NodePort").withExternalTrafficPolicy("Local")
                .addNewPort().withPort(80).withTargetPort(new IntOrString(7070)).withProtocol("TCP").endPort().endSpec());
        Path outside = cluster.externalNetns();
        String me = cluster.externalAddress();
        int clusterPort = cluster_.getSpec().getPorts().getFirst().getNodePort();
        int localPort = local.getSpec().getPorts().getFirst().getNodePort();
        InetAddress node3 = InetAddress.ofLiteral(cluster.nodeAddress("node3"));
        InetAddress node1 = InetAddress.ofLiteral(cluster.nodeAddress("node1"));
        // Cluster: node3 has no endpoint, forwards to node1/node2 and masquerades to its own address.
        Probe.Result viaNode3 = eventually(() -> Probe.run(outside, "TCP", node3, clusterPort, TIMEOUT), Probe.Result::reachable,
                "NodePort Cluster via node3");
        assertTrue(viaNode3.answer().endsWith(" from " + node3.getHostAddress()), "masqueraded to node3: " + viaNode3);
        // Local: node1 answers from its own endpoint and the pod sees the real client.
        Probe.Result viaNode1 = eventually(() -> Probe.run(outside, "TCP", node1, localPort, TIMEOUT), Probe.Result::reachable,
                "NodePort Local via node1");
        assertEquals("svc/web-1 from " + me, viaNode1.answer());
        // Local on a node without endpoints: nothing is forwarded.
        assertFalse(Probe.run(outside, "TCP", node3, localPort, Duration.ofSeconds(1)).reachable());
    }

    @Test
    void loadBalancerGetsAnAddressFromThePoolReachableFromOutsideAndAHealthCheck() throws Exception {
        services.create(selecting("lb", "web").editSpec().withType("LoadBalancer").withExternalTrafficPolicy("Local")
                .addNewPort().withPort(80).withTargetPort(new IntOrString(8080)).withProtocol("TCP").endPort().endSpec());
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        Service lb;
        do {
            lb = cluster.client().services().inNamespace(NS).withName("lb").get();
            if (lb.getStatus() != null && lb.getStatus().getLoadBalancer() != null && lb.getStatus().getLoadBalancer().getIngress() != null
                && !lb.getStatus().getLoadBalancer().getIngress().isEmpty()) {
                break;
            }
            Thread.sleep(100);
        } while (System.nanoTime() < deadline);
        String ip = lb.getStatus().getLoadBalancer().getIngress().getFirst().getIp();
        assertTrue(ip.startsWith("172.18.255."), "LoadBalancer address from the pool: " + ip);
        // The segment routes the pool via node1, which has a local endpoint (externalTrafficPolicy Local).
        Probe.Result r = eventually(() -> Probe.run(cluster.externalNetns(), "TCP", InetAddress.ofLiteral(ip), 80, TIMEOUT),
                Probe.Result::reachable, "LoadBalancer " + ip);
        assertEquals("svc/web-1", r.answer());
        // And pods reach it too (internal-scope frontend).
        Probe.Result fromPod = eventually(() -> Probe.run(services.client(3), "TCP", InetAddress.ofLiteral(ip), 80, TIMEOUT),
                Probe.Result::reachable, "LoadBalancer from a pod");
        assertTrue(Set.of("svc/web-1", "svc/web-2").contains(fromPod.answer()), fromPod.toString());
        int healthPort = lb.getSpec().getHealthCheckNodePort();
        assertTrue(healthPort >= 30000, "healthCheckNodePort allocated: " + healthPort);
        String node1 = httpGet(cluster.nodeAddress("node1"), healthPort);
        assertTrue(node1.startsWith("HTTP/1.1 200") && node1.contains("\"localEndpoints\":1"), node1);
        String node3 = httpGet(cluster.nodeAddress("node3"), healthPort);
        assertTrue(node3.startsWith("HTTP/1.1 503") && node3.contains("\"localEndpoints\":0"), node3);
    }

    private static String httpGet(String host, int port) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        Exception last = null;
        while (System.nanoTime() < deadline) {
            try (SocketChannel channel = NetnsSockets.tcp(cluster.externalNetns())) {
                channel.socket().connect(new InetSocketAddress(host, port), 1_000);
                channel.socket().setSoTimeout(2_000);
                channel.write(ByteBuffer.wrap(("GET /healthz HTTP/1.1\r\nHost: lb\r\nConnection: close\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII)));
                return new String(channel.socket().getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (Exception e) {
                last = e;
                Thread.sleep(100);
            }
        }
        throw new AssertionError("no health check answer from " + host + ":" + port, last);
    }

    @Test
    void headlessServiceGetsNoFrontend() throws Exception {
        services.create(selecting("db", "web").editSpec().withClusterIP("None").addNewPort().withPort(5432).withProtocol("TCP").endPort().endSpec());
        Service marker = services.create(selecting("after-db", "web").editSpec().addNewPort().withPort(5433).withProtocol("TCP").endPort().endSpec());
        // Once the later Service is programmed the headless one has been compiled too.
        eventually(() -> Probe.run(services.client(1), "TCP", clusterIp(marker), 5433, TIMEOUT),
                r -> r.error() != null && r.error().toLowerCase().contains("refused"), "marker programmed (no 5433 server: refused)");
        try (ServiceMaps maps = ServiceMaps.openPinned(cluster.bpfPinDir("node1"))) {
            List<ServiceEntry> entries = maps.services();
            assertTrue(entries.stream().anyMatch(e -> e.frontend().port() == 5433), entries.toString());
            assertTrue(entries.stream().noneMatch(e -> e.frontend().port() == 5432), "headless programs nothing: " + entries);
        }
    }

    @Test
    void endpointChangeKeepsExistingFlowsToStillReadyBackends() throws Exception {
        Service flows = services.create(selecting("flows", "flow").editSpec().withSessionAffinity("None")
                .addNewPort().withPort(53).withTargetPort(new IntOrString(5353)).withProtocol("UDP").endPort().endSpec());
        var client = cluster.client();
        for (String name : List.of("flow-a", "flow-b")) {
            client.resource(new PodBuilder().withNewMetadata().withNamespace(NS).withName(name).addToLabels("app", "flow").endMetadata()
                    .withNewSpec().withNodeName("node2").addNewContainer().withName("c").withImage("jute/serve-hostname")
                    .addNewPort().withContainerPort(5353).withProtocol("UDP").endPort().endContainer().endSpec().build()).create();
        }
        cluster.awaitReady(NS, List.of("flow-a", "flow-b"), Duration.ofSeconds(60));
        InetAddress vip = clusterIp(flows);
        eventually(() -> Probe.run(services.client(1), "UDP", vip, 53, TIMEOUT), Probe.Result::reachable, "flows programmed");
        try (DatagramChannel channel = NetnsSockets.udp(services.client(1))) {
            channel.connect(new InetSocketAddress(vip, 53));
            channel.socket().setSoTimeout(2_000);
            String first = exchange(channel);
            String other = first.equals("svc/flow-a") ? "flow-b" : "flow-a";
            client.pods().inNamespace(NS).withName(other).delete();
            // The frontend now has one backend; wait for the maps to say so, then use the old flow again.
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (System.nanoTime() < deadline && services.backendsOf("node1", new ServiceFrontend.Key(vip, 53, 17, FrontendScope.INTERNAL)) != 1) {
                Thread.sleep(100);
            }
            assertEquals(1, services.backendsOf("node1", new ServiceFrontend.Key(vip, 53, 17, FrontendScope.INTERNAL)));
            for (int i = 0; i < 5; i++) {
                assertEquals(first, exchange(channel), "the existing flow keeps its backend");
            }
        }
    }

    /** Hairpin: the Service's only endpoint reaches the Service and so itself, over TCP and UDP, answered from the VIP. */
    @Test
    void aPodReachesItselfThroughItsOwnService() throws Exception {
        var client = cluster.client();
        client.resource(new PodBuilder().withNewMetadata().withNamespace(NS).withName("loner").addToLabels("app", "loner").endMetadata()
                .withNewSpec().withNodeName("node2").addNewContainer().withName("c").withImage("jute/serve-hostname")
                .addNewPort().withName("http").withContainerPort(8080).withProtocol("TCP").endPort()
                .addNewPort().withContainerPort(5353).withProtocol("UDP").endPort().endContainer().endSpec().build()).create();
        cluster.awaitReady(NS, List.of("loner"), Duration.ofSeconds(60));
        Service loner = services.create(selecting("loner", "loner").editSpec()
                .addNewPort().withName("http").withPort(80).withTargetPort(new IntOrString("http")).withProtocol("TCP").endPort()
                .addNewPort().withName("dns").withPort(53).withTargetPort(new IntOrString(5353)).withProtocol("UDP").endPort()
                .endSpec());
        InetAddress vip = clusterIp(loner);
        Path self = cluster.podNetns(NS, "loner").orElseThrow();
        for (String protocol : List.of("TCP", "UDP")) {
            int port = protocol.equals("TCP") ? 80 : 53;
            Probe.Result r = eventually(() -> Probe.run(self, protocol, vip, port, TIMEOUT), Probe.Result::reachable,
                    "loner → its own Service " + vip.getHostAddress() + ":" + port + "/" + protocol);
            assertEquals("svc/loner", r.answer(), r.toString());
        }
    }

    @Test
    void networkPolicyJudgesTheTranslatedBackend() throws Exception {
        var client = cluster.client();
        client.resource(new PodBuilder().withNewMetadata().withNamespace(NS).withName("guarded").addToLabels("app", "guarded").endMetadata()
                .withNewSpec().withNodeName("node2").addNewContainer().withName("c").withImage("jute/serve-hostname")
                .addNewPort().withContainerPort(8080).withProtocol("TCP").endPort().endContainer().endSpec().build()).create();
        client.resource(new PodBuilder().withNewMetadata().withNamespace(NS).withName("trusted").addToLabels("role", "trusted").endMetadata()
                .withNewSpec().withNodeName("node3").addNewContainer().withName("c").withImage("none").endContainer().endSpec().build())
                .create();
        cluster.awaitReady(NS, List.of("guarded", "trusted"), Duration.ofSeconds(60));
        client.resource(new io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder().withNewMetadata().withNamespace(NS)
                .withName("guard").endMetadata().withNewSpec().withNewPodSelector().addToMatchLabels("app", "guarded").endPodSelector()
                .addNewIngress().addNewFrom().withNewPodSelector().addToMatchLabels("role", "trusted").endPodSelector().endFrom()
                .addNewPort().withProtocol("TCP").withPort(new IntOrString(8080)).endPort().endIngress()
                .withPolicyTypes("Ingress").endSpec().build()).create();
        Service guarded = services.create(selecting("guarded", "guarded").editSpec()
                .addNewPort().withPort(80).withTargetPort(new IntOrString(8080)).withProtocol("TCP").endPort().endSpec());
        InetAddress vip = clusterIp(guarded);
        Path trusted = cluster.podNetns(NS, "trusted").orElseThrow();
        // The policy speaks of port 8080 (the backend's), not 80: it can only match after translation.
        assertEquals("svc/guarded", eventually(() -> Probe.run(trusted, "TCP", vip, 80, TIMEOUT), Probe.Result::reachable,
                "trusted → guarded via the ClusterIP").answer());
        // client-3 runs on the same node, reaches the same VIP and is dropped by the backend's ingress policy.
        eventually(() -> Probe.run(services.client(3), "TCP", vip, 80, Duration.ofMillis(700)), r -> !r.reachable(), "client-3 blocked");
        for (int i = 0; i < 3; i++) {
            assertFalse(Probe.run(services.client(3), "TCP", vip, 80, Duration.ofMillis(700)).reachable());
            assertTrue(Probe.run(trusted, "TCP", vip, 80, TIMEOUT).reachable());
        }
    }

    private static String exchange(DatagramChannel channel) throws Exception {
        for (int attempt = 0; attempt < 3; attempt++) {
            channel.write(ByteBuffer.wrap("x".getBytes(StandardCharsets.UTF_8)));
            ByteBuffer buffer = ByteBuffer.allocate(512);
            try {
                channel.socket().receive(new java.net.DatagramPacket(buffer.array(), buffer.capacity()));
                return new String(buffer.array(), StandardCharsets.UTF_8).trim();
            } catch (java.net.SocketTimeoutException e) {
                // retry: UDP may lose a datagram
            }
        }
        throw new AssertionError("no UDP answer");
    }

}
