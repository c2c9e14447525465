package dev.jute.inbox.cluster;

import dev.jute.inbox.Netns;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClientException;
import dev.jute.ipam.IpPrefix;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * End to end on a real in-box cluster: three node namespaces, real agents in Kubernetes mode, the kubelet
 * calling the real jute-cni; nine pods (three per node) serving TCP, UDP and (if the kernel has it) SCTP.
 * Also prints the startup figures (time to nine ready pods, agent RSS) for the record.
 */
class InboxClusterTest {

    private static final String NAME = "e2etest";
    private static final int TCP_PORT = 8080;
    private static final int UDP_PORT = 5353;
    private static final int SCTP_PORT = 7777;

    private static InboxCluster cluster;
    private static List<Pod> pods;
    private static boolean sctp;
    private static List<Long> agentPids;

    @BeforeAll
    static void startCluster() throws Exception {
        assumeTrue(Netns.available(), "needs root and iproute2 (ip): skipped");
        sctp = NetnsSockets.sctpAvailable();
        long start = System.nanoTime();
        cluster = InboxCluster.start(NAME, 3);
        List<String> names = new ArrayList<>();
        for (String node : cluster.nodeNames()) {
            for (int i = 0; i < 3; i++) {
                String name = node + "-pod" + i;
                names.add(name);
                PodBuilder pod = new PodBuilder().withNewMetadata().withName(name).withNamespace("default")
                        .addToLabels("app", "e2e").endMetadata().withNewSpec().withNodeName(node)
                        .addNewContainer().withName("serve").withImage("serve-hostname")
                        .addNewPort().withContainerPort(TCP_PORT).endPort()
                        .addNewPort().withContainerPort(UDP_PORT).withProtocol("UDP").endPort()
                        .endContainer().endSpec();
                if (sctp) {
                    pod.editSpec().editFirstContainer().addNewPort().withContainerPort(SCTP_PORT).withProtocol("SCTP").endPort()
                            .endContainer().endSpec();
                }
                cluster.client().resource(pod.build()).create();
            }
        }
        pods = cluster.awaitReady("default", names, Duration.ofSeconds(120));
        long elapsed = System.nanoTime() - start;
        agentPids = List.copyOf(cluster.agentPids().values());
        System.out.printf(Locale.ROOT, "in-box cluster: 3 nodes up in %d ms, 9 pods ready %d ms after start; agent VmRSS KiB %s%n",
                cluster.startup().toMillis(), elapsed / 1_000_000, cluster.agentRssKib());
    }

    @AfterAll
    static void tearDownAndCheckNothingIsLeft() throws Exception {
        if (cluster == null) {
            return;
        }
        ClusterNames names = cluster.names();
        cluster.close();
        assertFalse(ClusterNetwork.anyLeft(names), "namespaces with prefix " + names.prefix() + " are left");
        for (long pid : agentPids) {
            var process = ProcessHandle.of(pid);
            if (process.isPresent()) {
                process.get().onExit().get(10, java.util.concurrent.TimeUnit.SECONDS);
            }
            assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "agent " + pid + " still runs");
        }
        assertFalse(Files.exists(names.stateDir()), names.stateDir() + " is left");
    }

    @Test
    void everyPodReachesEveryPodOverTcpAndUdpAcrossNodes() throws Exception {
        assertEquals(3, pods.stream().map(p -> p.getSpec().getNodeName()).distinct().count(), "pods on every node");
        for (String protocol : List.of("TCP", "UDP")) {
            assertAllPairsReachable(protocol, protocol.equals("TCP") ? TCP_PORT : UDP_PORT);
        }
    }

    @Test
    void everyPodReachesEveryPodOverSctp() throws Exception {
        assumeTrue(sctp, "this kernel has no SCTP (the sctp module is not loaded): skipped");
        assertAllPairsReachable("SCTP", SCTP_PORT);
    }

    private static void assertAllPairsReachable(String protocol, int port) throws Exception {
        List<Connectivity.Target> targets = new ArrayList<>();
        Map<String, String> answers = new HashMap<>();
        for (Pod from : pods) {
            Path netns = cluster.podNetns("default", from.getMetadata().getName()).orElseThrow();
            for (Pod to : pods) {
                targets.add(new Connectivity.Target(from.getMetadata().getName(), netns, to.getMetadata().getName(),
                        InetAddress.ofLiteral(to.getStatus().getPodIP()), port, protocol));
                answers.put(to.getMetadata().getName(), "default/" + to.getMetadata().getName());
            }
        }
        List<String> failures = Connectivity.probeAll(targets, answers, Duration.ofSeconds(3)).stream()
                .filter(o -> !o.reachable())
                .map(o -> o.target().from() + " -> " + o.target().to() + ": " + o.result()).toList();
        assertEquals(List.of(), failures, protocol + " pairs that failed");
        assertEquals(81, targets.size());
    }

    @Test
    void agentTakesItsPodCidrFromTheNodeObjectAndRoutesToTheOtherNodes() {
        for (String nodeName : cluster.nodeNames()) {
            Node node = cluster.client().nodes().withName(nodeName).get();
            List<String> cidrs = node.getSpec().getPodCIDRs();
            assertEquals(2, cidrs.size(), "dual-stack pod CIDRs of " + nodeName);
            assertTrue(cluster.agentLog(nodeName).contains("node pod CIDRs node=" + nodeName + " cidrs=\"" + cidrs + "\""),
                    cluster.agentLog(nodeName));
            IpPrefix v4 = IpPrefix.parse(cidrs.getFirst());
            for (Pod pod : pods) {
                if (pod.getSpec().getNodeName().equals(nodeName)) {
                    assertTrue(v4.contains(InetAddress.ofLiteral(pod.getStatus().getPodIP())), pod.getStatus().getPodIP() + " in " + v4);
                }
            }
            // Every other node has a direct route to this node's CIDRs, tagged with Jute's protocol.
            String internalIp = node.getStatus().getAddresses().getFirst().getAddress();
            for (String other : cluster.nodeNames()) {
                String routes = new Netns(cluster.names().nodeNetns(other)).exec("ip", "route", "show", "proto", "74").check().stdout();
                assertEquals(!other.equals(nodeName), routes.contains(cidrs.getFirst() + " via " + internalIp),
                        "route to " + cidrs.getFirst() + " on " + other + ":\n" + routes);
            }
        }
    }

    @Test
    void deletingAPodReleasesItsAddressAndRemovesItsNamespace() throws Exception {
        Pod pod = cluster.client().resource(new PodBuilder().withNewMetadata().withName("short-lived").withNamespace("default")
                .endMetadata().withNewSpec().withNodeName("node2").addNewContainer().withName("c").withImage("x")
                .addNewPort().withContainerPort(80).endPort().endContainer().endSpec().build()).create();
        Pod ready = cluster.awaitReady("default", List.of("short-lived"), Duration.ofSeconds(60)).getFirst();
        Path netns = cluster.podNetns("default", "short-lived").orElseThrow();
        Path record = cluster.ipamDir("node2").resolve(ready.getStatus().getPodIP());
        assertTrue(Files.exists(record), "IPAM record " + record);
        assertTrue(Files.exists(netns));
        cluster.client().resource(pod).delete();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while ((Files.exists(record) || Files.exists(netns)) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertFalse(Files.exists(record), "IPAM record of the deleted pod is released");
        assertFalse(Files.exists(netns), "netns of the deleted pod is removed");
    }

    @Test
    void theApiAllocatesNodePortsAndRejectsATakenOne() {
        var first = cluster.client().resource(new ServiceBuilder().withNewMetadata().withName("np-a").withNamespace("default")
                .endMetadata().withNewSpec().withType("NodePort").addToSelector("app", "e2e")
                .addNewPort().withPort(80).withNodePort(30100).endPort().endSpec().build()).create();
        assertTrue(first.getSpec().getClusterIP().startsWith("10.96."), first.getSpec().getClusterIP());
        assertEquals("TCP", first.getSpec().getPorts().getFirst().getProtocol());
        var conflict = assertThrows(KubernetesClientException.class, () -> cluster.client().resource(new ServiceBuilder()
                .withNewMetadata().withName("np-b").withNamespace("default").endMetadata().withNewSpec().withType("NodePort")
                .addNewPort().withPort(80).withNodePort(30100).endPort().endSpec().build()).create());
        assertEquals(422, conflict.getCode());
        assertTrue(conflict.getMessage().contains("provided port is already allocated"), conflict.getMessage());
    }

    @Test
    void endpointSlicesListTheSelectedReadyPods() throws Exception {
        cluster.client().resource(new ServiceBuilder().withNewMetadata().withName("e2e").withNamespace("default").endMetadata()
                .withNewSpec().addToSelector("app", "e2e").addNewPort().withPort(80).withNewTargetPort(TCP_PORT).endPort()
                .endSpec().build()).create();
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        List<String> expected = pods.stream().map(p -> p.getStatus().getPodIP()).sorted().toList();
        List<String> actual = List.of();
        while (System.nanoTime() < deadline) {
            EndpointSlice slice = cluster.client().discovery().v1().endpointSlices().inNamespace("default").withName("e2e-ipv4").get();
            if (slice != null) {
                actual = slice.getEndpoints().stream().map(e -> e.getAddresses().getFirst()).sorted().toList();
                if (actual.equals(expected)) {
                    assertEquals(TCP_PORT, slice.getPorts().getFirst().getPort());
                    return;
                }
            }
            Thread.sleep(100);
        }
        fail("EndpointSlice e2e-ipv4 lists " + actual + ", expected " + expected);
    }

    @Test
    void agentServesHealthReadinessAndMetrics() throws Exception {
        Path node = new Netns(cluster.names().nodeNetns("node1")).path();
        assertTrue(httpGet(node, "/healthz").startsWith("HTTP/1.1 200"));
        assertTrue(httpGet(node, "/readyz").startsWith("HTTP/1.1 200"), httpGet(node, "/readyz"));
        String metrics = httpGet(node, "/metrics");
        assertTrue(metrics.contains("jute_informer_synced{kind=\"Pod\"} 1"), metrics);
        assertTrue(metrics.contains("jute_cni_requests_total{command=\"ADD\",outcome=\"ok\"}"), metrics);
        assertTrue(metrics.contains("jute_node_routes 4"), metrics);
        assertTrue(metrics.contains("jute_ipam_addresses_allocated{pool=\"10.244."), metrics);
    }

    private static String httpGet(Path netns, String path) {
        return NodeAgent.httpGet(netns, path);
    }

}
