package dev.jute.tests.service;

import dev.jute.inbox.Command;
import dev.jute.inbox.Netns;
import dev.jute.inbox.cluster.HostNetworkClient;
import dev.jute.inbox.cluster.InboxCluster;
import dev.jute.inbox.cluster.Probe;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * ClusterIPs from host-network processes (the socket-LB hooks) in a two-node in-box cluster: a process
 * in node1's namespace and node1's cgroup reaches a TCP Service with endpoints on node1 and node2 (port
 * mapped to the named targetPort, getpeername reporting the VIP), gets UDP replies from the VIP on an
 * unconnected socket, keeps one backend with ClientIP affinity, is refused at once without endpoints,
 * has its connected sockets to an endpoint that leaves the Service aborted (ECONNABORTED);
 * a process of the same namespace outside the cgroup is not translated; pods still use their tc path.
 * Each client is a separate process ({@link HostNetworkClient}) because cgroup membership is per process.
 */
class HostNetworkServiceTest {

    private static final String NS = "hostsvc";
    private static final Pattern LINE = Pattern.compile("^(ok|error) (.*?)(?: (peer|from)=(\\S+))?(?: us=(\\d+))?$");
    private static InboxCluster cluster;

    @BeforeAll
    static void start() throws Exception {
        assumeTrue(Netns.available(), "needs root and iproute2 (ip): skipped");
        assumeTrue(dev.jute.dataplane.bpf.SocketLoadBalancer.unavailableReason().isEmpty(),
                "needs the BPF dataplane: " + dev.jute.dataplane.bpf.SocketLoadBalancer.unavailableReason().orElse(""));
        cluster = InboxCluster.start("hostsvc", 2);
        assumeTrue(cluster.socketLbProblem().isEmpty(), "no socket-LB cgroups: " + cluster.socketLbProblem().orElse(""));
        var client = cluster.client();
        client.resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build()).create();
        for (int i = 1; i <= 2; i++) {
            client.resource(new PodBuilder().withNewMetadata().withNamespace(NS).withName("web-" + i).addToLabels("app", "web")
                    .addToLabels("replica", Integer.toString(i)).addToLabels("pool", "retire").endMetadata()
                    .withNewSpec().withNodeName("node" + i).addNewContainer().withName("web").withImage("jute/serve-hostname")
                    .addNewPort().withName("http").withContainerPort(8080).withProtocol("TCP").endPort()
                    .addNewPort().withName("dns").withContainerPort(5353).withProtocol("UDP").endPort()
                    .endContainer().endSpec().build()).create();
        }
        client.resource(new PodBuilder().withNewMetadata().withNamespace(NS).withName("client-1").endMetadata()
                .withNewSpec().withNodeName("node1").addNewContainer().withName("c").withImage("none").endContainer()
                .endSpec().build()).create();
        cluster.awaitReady(NS, List.of("web-1", "web-2", "client-1"), Duration.ofSeconds(90));
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    /** One line of {@link HostNetworkClient}'s output. */
    record Answer(boolean ok, String text, String peer, long micros) {
        static Answer parse(String line) {
            Matcher m = LINE.matcher(line.strip());
            if (!m.matches()) {
                throw new AssertionError("unexpected client output: " + line);
            }
            return new Answer(m.group(1).equals("ok"), m.group(2), m.group(4), m.group(5) == null ? -1 : Long.parseLong(m.group(5)));
        }
    }

    /** Runs the client as a host-network process of node1: in its namespace and, if {@code inCgroup}, in its cgroup. */
    private static List<Answer> fromNode1(boolean inCgroup, String... args) {
        List<String> lines = inCgroup ? HostNetworkClient.runOn(cluster, "node1", Duration.ofSeconds(60), args)
                : HostNetworkClient.run(Command.concat(List.of("ip", "netns", "exec", cluster.names().nodeNetns("node1")),
                HostNetworkClient.command(args).toArray(String[]::new)), Duration.ofSeconds(60));
        return lines.stream().map(Answer::parse).toList();
    }

    /** Retries a single probe until it succeeds (the agents program new Services within moments). */
    private static Answer eventually(String... args) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        Answer last;
        do {
            last = fromNode1(true, args).getFirst();
            if (last.ok()) {
                return last;
            }
            Thread.sleep(200);
        } while (System.nanoTime() < deadline);
        throw new AssertionError(String.join(" ", args) + ": last answer " + last);
    }

    private static Service create(ServiceBuilder service) {
        return cluster.client().resource(service.editMetadata().withNamespace(NS).endMetadata().build()).create();
    }

    private static ServiceBuilder selecting(String name, String key, String value) {
        return new ServiceBuilder().withNewMetadata().withName(name).endMetadata().withNewSpec().addToSelector(key, value).endSpec();
    }

    private static String vip(Service service) {
        return service.getSpec().getClusterIP();
    }

    @Test
    void hostProcessReachesTcpEndpointsOnBothNodesAndSeesTheVipAsItsPeer() throws Exception {
        String vip = vip(create(selecting("web", "app", "web").editSpec()
                .addNewPort().withName("http").withPort(80).withTargetPort(new IntOrString("http")).withProtocol("TCP").endPort()
                .endSpec()));
        eventually("tcp", vip, "80");
        for (String family : new String[]{"--v4", "--v6"}) {
            List<Answer> answers = fromNode1(true, "tcp", vip, "80", "24", family);
            Set<String> seen = new HashSet<>();
            for (Answer answer : answers) {
                assertTrue(answer.ok(), family + ": " + answer);
                assertEquals(vip + ":80", answer.peer(), family + ": getpeername shows the Service, not the backend");
                seen.add(answer.text());
            }
            assertEquals(Set.of("hostsvc/web-1", "hostsvc/web-2"), seen, family + ": both nodes' endpoints answer");
        }
        // Pods keep their tc path: a pod on the same node reaches the same VIP.
        Probe.Result fromPod = Probe.run(cluster.podNetns(NS, "client-1").orElseThrow(), "TCP", InetAddress.ofLiteral(vip), 80,
                Duration.ofSeconds(2));
        assertTrue(fromPod.reachable(), "pod → VIP: " + fromPod);
    }

    @Test
    void unconnectedUdpRepliesComeFromTheVip() throws Exception {
        String vip = vip(create(selecting("dns", "app", "web").editSpec()
                .addNewPort().withName("dns").withPort(53).withTargetPort(new IntOrString(5353)).withProtocol("UDP").endPort()
                .endSpec()));
        eventually("udp", vip, "53");
        for (String family : new String[]{"--v4", "--v6"}) {
            Answer answer = fromNode1(true, "udp", vip, "53", family).getFirst();
            assertTrue(answer.ok(), family + ": " + answer);
            assertTrue(answer.text().startsWith("hostsvc/web-"), family + ": " + answer);
            assertEquals(vip + ":53", answer.peer(), family + ": recvfrom reports the Service as the sender");
        }
    }

    @Test
    void clientIpAffinityKeepsTheNodeOnOneEndpoint() throws Exception {
        String vip = vip(create(selecting("sticky", "app", "web").editSpec().withSessionAffinity("ClientIP")
                .withNewSessionAffinityConfig().withNewClientIP().withTimeoutSeconds(60).endClientIP().endSessionAffinityConfig()
                .addNewPort().withPort(80).withTargetPort(new IntOrString(8080)).withProtocol("TCP").endPort().endSpec()));
        eventually("tcp", vip, "80");
        Set<String> seen = new HashSet<>();
        fromNode1(true, "tcp", vip, "80", "16").forEach(answer -> seen.add(answer.text()));
        assertEquals(1, seen.size(), "one endpoint for every connection of the node: " + seen);
    }

    @Test
    void serviceWithoutEndpointsIsRefusedAtOnce() throws Exception {
        String vip = vip(create(selecting("empty", "app", "nobody").editSpec()
                .addNewPort().withPort(80).withProtocol("TCP").endPort().endSpec()));
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        Answer answer;
        do {
            answer = fromNode1(true, "tcp", vip, "80").getFirst();
        } while (!answer.text().contains("refused") && System.nanoTime() < deadline);
        assertTrue(!answer.ok() && answer.text().contains("Connection refused"), answer.toString());
        assertTrue(answer.micros() < 1_000_000, "refused in " + answer.micros() + " µs, not after a timeout");
    }

    @Test
    void aProcessOutsideTheNodeCgroupIsNotTranslated() throws Exception {
        String vip = vip(create(selecting("scoped", "app", "web").editSpec()
                .addNewPort().withPort(80).withTargetPort(new IntOrString(8080)).withProtocol("TCP").endPort().endSpec()));
        eventually("tcp", vip, "80");
        Answer outside = fromNode1(false, "tcp", vip, "80").getFirst();
        assertTrue(!outside.ok(), "the node namespace outside the cgroup has no ClusterIP: " + outside);
    }

    /**
     * Connected UDP sockets of a host process through a ClusterIP: when the endpoint one of them talks
     * to leaves the Service (its pod loses the selected label), the agent aborts exactly the sockets on
     * that endpoint (their next read fails with ECONNABORTED); the others stay.
     */
    @Test
    void socketsToAnEndpointThatLeavesTheServiceAreAborted() throws Exception {
        String vip = vip(create(selecting("retire", "pool", "retire").editSpec()
                .addNewPort().withPort(53).withTargetPort(new IntOrString(5353)).withProtocol("UDP").endPort().endSpec()));
        eventually("udp", vip, "53");
        Process holder = new ProcessBuilder(cluster.hostNetworkCommand("node1",
                HostNetworkClient.command("udp-hold", vip, "53", "8").toArray(String[]::new)))
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try {
            var out = new java.io.BufferedReader(new java.io.InputStreamReader(holder.getInputStream(),
                    java.nio.charset.StandardCharsets.UTF_8));
            var in = new java.io.PrintWriter(holder.getOutputStream(), true, java.nio.charset.StandardCharsets.UTF_8);
            java.util.Map<Integer, String> backends = new java.util.TreeMap<>();
            for (int i = 0; i < 8; i++) {
                String line = out.readLine();
                assertTrue(line != null && line.startsWith("ok " + i + " hostsvc/web-"), "held socket " + i + ": " + line);
                backends.put(i, line.substring(("ok " + i + " ").length()));
            }
            String leaving = backends.get(0);
            Set<Integer> expected = new HashSet<>();
            backends.forEach((socket, backend) -> {
                if (backend.equals(leaving)) {
                    expected.add(socket);
                }
            });
            cluster.client().pods().inNamespace(NS).withName(leaving.substring(leaving.indexOf('/') + 1))
                    .edit(pod -> new PodBuilder(pod).editMetadata().removeFromLabels("pool").endMetadata().build());

            // An aborted socket reports ECONNABORTED (103) once, then reads like any unconnected socket.
            Set<Integer> aborted = new HashSet<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (!aborted.containsAll(expected) && System.nanoTime() < deadline) {
                in.println("probe");
                for (String line = out.readLine(); line != null && !line.equals("done"); line = out.readLine()) {
                    if (line.startsWith("error ")) {
                        String[] words = line.split(" ");
                        assertEquals("103", words[2], "ECONNABORTED: " + line);
                        aborted.add(Integer.parseInt(words[1]));
                    }
                }
                Thread.sleep(200);
            }
            assertEquals(expected, aborted, "the sockets on " + leaving + " and only those are aborted; backends: " + backends);
        } finally {
            holder.destroyForcibly();
            holder.waitFor();
        }
    }

    /**
     * The cost of the hooks: connect latency to a ClusterIP whose only endpoint is on this node, against
     * the same pod's IP directly (1,000 connects each, one process). Printed for the report; fails only if
     * a connect fails.
     */
    @Test
    void connectLatencyThroughTheHooksAgainstThePodIp() throws Exception {
        String vip = vip(create(selecting("one", "replica", "1").editSpec()
                .addNewPort().withPort(80).withTargetPort(new IntOrString(8080)).withProtocol("TCP").endPort().endSpec()));
        eventually("tcp", vip, "80");
        String podIp = cluster.client().pods().inNamespace(NS).withName("web-1").get().getStatus().getPodIP();
        latency(podIp, "8080"); // warm-up: the pod's server and the first connections' caches
        String direct = latency(podIp, "8080");
        String viaVip = latency(vip, "80");
        System.out.println("[hostsvc] connect latency host → pod IP " + podIp + ":8080: " + direct);
        System.out.println("[hostsvc] connect latency host → ClusterIP " + vip + ":80 (socket-LB): " + viaVip);
    }

    private static String latency(String address, String port) {
        String result = HostNetworkClient.runOn(cluster, "node1", Duration.ofSeconds(120), "connect-latency", address, port, "1000")
                .getFirst();
        assertTrue(result.endsWith("n=1000"), "1,000 connects to " + address + ": " + result);
        return result;
    }
}
