package dev.jute.tests.service;

import dev.jute.dataplane.bpf.FrontendScope;
import dev.jute.dataplane.bpf.ServiceFrontend;
import dev.jute.inbox.cluster.InboxCluster;
import dev.jute.inbox.cluster.NetnsSockets;
import dev.jute.inbox.cluster.Probe;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Service;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.jute.tests.service.ServiceTestCluster.assertRefusedAtOnce;
import static dev.jute.tests.service.ServiceTestCluster.clusterIp;
import static dev.jute.tests.service.ServiceTestCluster.eventually;
import static dev.jute.tests.service.ServiceTestCluster.selecting;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * IPv6 and dual-stack Services, and internalTrafficPolicy Local, with real traffic in a three-node
 * in-box cluster (the API allocates ClusterIPs from 10.96.0.0/16 and fd00:10:96::/112): an IPv6
 * ClusterIP over TCP and UDP from pods on two nodes with replies from the VIP, a dual-stack Service on
 * both its ClusterIPs, an IPv6 NodePort from the external client, immediate refusal over IPv6 without
 * endpoints, and internalTrafficPolicy Local (node-local endpoints only; none on the node: dropped, as
 * kube-proxy does), a pod reaching itself through its IPv6 Service (hairpin, TCP and UDP), and an
 * established IPv6 connection reset when its endpoint leaves the Service while one to a remaining
 * endpoint lives on. Backends web-1 (node1) and web-2 (node2); clients on node1 and node3.
 */
class ServiceDualStackClusterTest {

    private static final String NS = "svc6";
    private static final Duration TIMEOUT = ServiceTestCluster.PROBE_TIMEOUT;
    private static final Set<String> BACKENDS = Set.of(NS + "/web-1", NS + "/web-2");
    private static ServiceTestCluster services;
    private static InboxCluster cluster;

    @BeforeAll
    static void start() throws Exception {
        services = ServiceTestCluster.start(NS, 3, List.of(), 1, 3);
        cluster = services.cluster();
    }

    @AfterAll
    static void stop() {
        if (services != null) {
            services.close();
        }
    }

    @Test
    void ipv6ClusterIpFromPodsOnTwoNodesOverTcpAndUdpWithRepliesFromTheVip() throws Exception {
        Service web = services.create(selecting("web6", "web").editSpec().withIpFamilies("IPv6")
                .addNewPort().withName("http").withPort(80).withTargetPort(new IntOrString("http")).withProtocol("TCP").endPort()
                .addNewPort().withName("dns").withPort(53).withTargetPort(new IntOrString(5353)).withProtocol("UDP").endPort()
                .endSpec());
        assertEquals(List.of("IPv6"), web.getSpec().getIpFamilies());
        InetAddress vip = InetAddress.ofLiteral(web.getSpec().getClusterIP());
        assertInstanceOf(Inet6Address.class, vip, "an IPv6 ClusterIP from fd00:10:96::/112: " + vip);
        for (int i : new int[]{1, 3}) {
            Path from = services.client(i);
            Set<String> seen = new HashSet<>();
            // A connected TCP socket only completes with a SYN-ACK from the VIP; a connected UDP socket
            // only accepts datagrams from it: an answer proves the reverse NAT.
            Probe.Result tcp = eventually(() -> Probe.run(from, "TCP", vip, 80, TIMEOUT), Probe.Result::reachable,
                    "client-" + i + " → [" + vip.getHostAddress() + "]:80");
            assertTrue(BACKENDS.contains(tcp.answer()), tcp.toString());
            Probe.Result udp = eventually(() -> Probe.run(from, "UDP", vip, 53, TIMEOUT), Probe.Result::reachable,
                    "client-" + i + " → [" + vip.getHostAddress() + "]:53/UDP");
            assertTrue(BACKENDS.contains(udp.answer()), udp.toString());
            for (int attempt = 0; attempt < 40 && seen.size() < 2; attempt++) {
                Probe.Result r = Probe.run(from, "TCP", vip, 80, TIMEOUT);
                assertTrue(r.reachable(), r.toString());
                seen.add(r.answer());
            }
            assertEquals(BACKENDS, seen, "client-" + i + " is balanced over both IPv6 endpoints");
        }
    }

    @Test
    void dualStackServiceAnswersOnBothClusterIps() throws Exception {
        Service both = services.create(selecting("both", "web").editSpec().withIpFamilyPolicy("PreferDualStack")
                .addNewPort().withPort(80).withTargetPort(new IntOrString(8080)).withProtocol("TCP").endPort().endSpec());
        assertEquals(List.of("IPv4", "IPv6"), both.getSpec().getIpFamilies());
        List<String> ips = both.getSpec().getClusterIPs();
        assertEquals(2, ips.size(), ips.toString());
        assertInstanceOf(Inet4Address.class, InetAddress.ofLiteral(ips.get(0)));
        assertInstanceOf(Inet6Address.class, InetAddress.ofLiteral(ips.get(1)));
        for (String ip : ips) {
            InetAddress vip = InetAddress.ofLiteral(ip);
            for (int i : new int[]{1, 3}) {
                Path from = services.client(i);
                Probe.Result r = eventually(() -> Probe.run(from, "TCP", vip, 80, TIMEOUT), Probe.Result::reachable,
                        "client-" + i + " → " + ip + ":80");
                assertTrue(BACKENDS.contains(r.answer()), r.toString());
            }
        }
    }

    @Test
    void ipv6NodePortFromTheExternalClient() throws Exception {
        Service nodePort = services.create(selecting("np6", "web").editSpec().withType("NodePort").withIpFamilies("IPv6")
                .addNewPort().withPort(80).withTargetPort(new IntOrString(7070)).withProtocol("TCP").endPort().endSpec());
        Service local = services.create(selecting("np6-local", "web").editSpec().withType("NodePort").withIpFamilies("IPv6")
                .withExternalTrafficPolicy("Local")
                .addNewPort().withPort(80).withTargetPort(new IntOrString(7070)).withProtocol("TCP").endPort().endSpec());
        int clusterPort = nodePort.getSpec().getPorts().getFirst().getNodePort();
        int localPort = local.getSpec().getPorts().getFirst().getNodePort();
        Path outside = cluster.externalNetns();
        InetAddress me = InetAddress.ofLiteral(cluster.externalAddressIpv6());
        InetAddress node1 = InetAddress.ofLiteral(cluster.nodeAddressIpv6("node1"));
        InetAddress node3 = InetAddress.ofLiteral(cluster.nodeAddressIpv6("node3"));
        // Cluster: node3 has no endpoint; it forwards to node1/node2, masquerading to its own IPv6 address.
        Probe.Result viaNode3 = eventually(() -> Probe.run(outside, "TCP", node3, clusterPort, TIMEOUT), Probe.Result::reachable,
                "IPv6 NodePort via node3");
        assertEquals(node3, peerOf(viaNode3), "masqueraded to node3: " + viaNode3);
        assertTrue(BACKENDS.contains(backendOf(viaNode3)), viaNode3.toString());
        // Local: node1's own endpoint answers and sees the external client's address.
        Probe.Result viaNode1 = eventually(() -> Probe.run(outside, "TCP", node1, localPort, TIMEOUT), Probe.Result::reachable,
                "IPv6 NodePort Local via node1");
        assertEquals(NS + "/web-1", backendOf(viaNode1));
        assertEquals(me, peerOf(viaNode1), "the client's address is kept: " + viaNode1);
        assertFalse(Probe.run(outside, "TCP", node3, localPort, Duration.ofSeconds(1)).reachable(),
                "node3 has no local endpoint and does not forward");
        // A SingleStack IPv4 Service has no NodePort on the nodes' IPv6 addresses (kube-proxy: per family).
        Service v4 = services.create(selecting("np4", "web").editSpec().withType("NodePort")
                .addNewPort().withPort(80).withTargetPort(new IntOrString(7070)).withProtocol("TCP").endPort().endSpec());
        int v4Port = v4.getSpec().getPorts().getFirst().getNodePort();
        eventually(() -> Probe.run(outside, "TCP", InetAddress.ofLiteral(cluster.nodeAddress("node1")), v4Port, TIMEOUT),
                Probe.Result::reachable, "IPv4 NodePort programmed");
        assertFalse(Probe.run(outside, "TCP", node1, v4Port, Duration.ofSeconds(1)).reachable(), "no IPv6 NodePort for an IPv4 Service");
    }

    @Test
    void ipv6ServiceWithoutEndpointsRefusesAtOnce() throws Exception {
        Service empty = services.create(selecting("empty6", "nobody").editSpec().withIpFamilies("IPv6")
                .addNewPort().withName("t").withPort(80).withProtocol("TCP").endPort()
                .addNewPort().withName("u").withPort(53).withProtocol("UDP").endPort().endSpec());
        InetAddress vip = InetAddress.ofLiteral(empty.getSpec().getClusterIP());
        assertInstanceOf(Inet6Address.class, vip);
        assertRefusedAtOnce(services.client(3), vip);
    }

    @Test
    void internalTrafficPolicyLocalUsesOnlyNodeLocalEndpointsAndDropsWithoutThem() throws Exception {
        Service local = services.create(selecting("itp-local", "web").editSpec().withIpFamilyPolicy("RequireDualStack")
                .withInternalTrafficPolicy("Local")
                .addNewPort().withPort(80).withTargetPort(new IntOrString(8080)).withProtocol("TCP").endPort().endSpec());
        for (String ip : local.getSpec().getClusterIPs()) {
            InetAddress vip = InetAddress.ofLiteral(ip);
            // client-1 shares node1 with web-1 only: every connection lands there, never on node2's web-2.
            eventually(() -> Probe.run(services.client(1), "TCP", vip, 80, TIMEOUT), Probe.Result::reachable, "client-1 → " + ip);
            for (int n = 0; n < 15; n++) {
                Probe.Result r = Probe.run(services.client(1), "TCP", vip, 80, TIMEOUT);
                assertEquals(NS + "/web-1", r.answer(), "probe " + n + " to " + ip + ": " + r);
            }
            // client-3's node has no endpoint: kube-proxy drops (not rejects) such traffic, so the
            // connection neither completes nor is refused; it times out.
            Probe.Result none = Probe.run(services.client(3), "TCP", vip, 80, Duration.ofSeconds(1));
            assertFalse(none.reachable(), none.toString());
            assertEquals("timed out", none.error(), "dropped, not refused: " + none);
        }
    }

    /** Hairpin over IPv6: the Service's only endpoint reaches itself through it, hidden behind fd6a:7574:6500::1. */
    @Test
    void aPodReachesItselfThroughItsOwnIpv6Service() throws Exception {
        cluster.client().resource(new PodBuilder().withNewMetadata().withNamespace(NS).withName("loner6").addToLabels("app", "loner6")
                .endMetadata().withNewSpec().withNodeName("node2").addNewContainer().withName("c").withImage("jute/serve-hostname")
                .addNewPort().withName("http").withContainerPort(8080).withProtocol("TCP").endPort()
                .addNewPort().withContainerPort(5353).withProtocol("UDP").endPort().endContainer().endSpec().build()).create();
        cluster.awaitReady(NS, List.of("loner6"), Duration.ofSeconds(60));
        Service loner = services.create(selecting("loner6", "loner6").editSpec().withIpFamilies("IPv6")
                .addNewPort().withName("http").withPort(80).withTargetPort(new IntOrString("http")).withProtocol("TCP").endPort()
                .addNewPort().withName("dns").withPort(53).withTargetPort(new IntOrString(5353)).withProtocol("UDP").endPort()
                .endSpec());
        InetAddress vip = InetAddress.ofLiteral(loner.getSpec().getClusterIP());
        assertInstanceOf(Inet6Address.class, vip);
        Path self = cluster.podNetns(NS, "loner6").orElseThrow();
        for (String protocol : List.of("TCP", "UDP")) {
            int port = protocol.equals("TCP") ? 80 : 53;
            // The answer only reaches a connected socket if it comes back from the VIP: both directions were translated.
            Probe.Result r = eventually(() -> Probe.run(self, protocol, vip, port, TIMEOUT), Probe.Result::reachable,
                    "loner6 → its own Service [" + vip.getHostAddress() + "]:" + port + "/" + protocol);
            assertEquals(NS + "/loner6", r.answer(), r.toString());
        }
    }

    /**
     * Retirement over IPv6 with real sockets: two long-lived connections, one to each endpoint; one
     * endpoint leaves the Service (relabelled, so it still runs and would still answer) and its
     * connection is reset on its next segment, while the other goes on.
     */
    @Test
    void anIpv6ConnectionToARemovedEndpointIsResetWhileOneToARemainingEndpointLivesOn() throws Exception {
        var client = cluster.client();
        for (int i = 1; i <= 2; i++) {
            client.resource(new PodBuilder().withNewMetadata().withNamespace(NS).withName("hold-" + i).addToLabels("app", "hold")
                    .endMetadata().withNewSpec().withNodeName("node" + i).addNewContainer().withName("c").withImage("none")
                    .endContainer().endSpec().build()).create();
        }
        cluster.awaitReady(NS, List.of("hold-1", "hold-2"), Duration.ofSeconds(60));
        try (HoldingEchoServer hold1 = HoldingEchoServer.start(cluster.podNetns(NS, "hold-1").orElseThrow(), NS + "/hold-1");
             HoldingEchoServer hold2 = HoldingEchoServer.start(cluster.podNetns(NS, "hold-2").orElseThrow(), NS + "/hold-2")) {
            Service hold = services.create(selecting("hold6", "hold").editSpec().withIpFamilies("IPv6")
                    .addNewPort().withPort(80).withTargetPort(new IntOrString(HoldingEchoServer.PORT)).withProtocol("TCP").endPort()
                    .endSpec());
            InetAddress vip = InetAddress.ofLiteral(hold.getSpec().getClusterIP());
            assertInstanceOf(Inet6Address.class, vip);
            Map<String, HeldConnection> byBackend = new HashMap<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (byBackend.size() < 2 && System.nanoTime() < deadline) {
                HeldConnection connection = HeldConnection.open(services.client(3), vip, 80);
                if (connection == null) {
                    Thread.sleep(100); // not programmed yet
                } else if (byBackend.putIfAbsent(connection.greeting(), connection) != null) {
                    connection.close();
                }
            }
            try {
                assertEquals(Set.of(NS + "/hold-1", NS + "/hold-2"), byBackend.keySet(), "one held connection to each endpoint");
                HeldConnection toRemoved = byBackend.get(NS + "/hold-2");
                HeldConnection toKept = byBackend.get(NS + "/hold-1");
                assertEquals("before", toRemoved.echo("before"), "both connections are alive");
                assertEquals("before", toKept.echo("before"));

                client.pods().inNamespace(NS).withName("hold-2").edit(pod -> new PodBuilder(pod).editMetadata()
                        .addToLabels("app", "held-out").endMetadata().build());
                ServiceFrontend.Key frontend = new ServiceFrontend.Key(vip, 80, ServiceFrontend.TCP, FrontendScope.INTERNAL);
                long programmed = System.nanoTime() + Duration.ofSeconds(20).toNanos();
                while (System.nanoTime() < programmed && services.backendsOf("node3", frontend) != 1) {
                    Thread.sleep(100);
                }
                assertEquals(1, services.backendsOf("node3", frontend), "the client's node no longer balances to hold-2");

                // hold-2's server still runs and would echo: only a RST from the dataplane ends the connection.
                IOException reset = assertThrows(IOException.class,
                        () -> toRemoved.echo("after"), "the connection to the removed endpoint is reset");
                assertTrue(String.valueOf(reset.getMessage()).toLowerCase().contains("reset"), "a reset, not a timeout: " + reset);
                assertEquals("after", toKept.echo("after"), "the connection to the remaining endpoint lives on");
            } finally {
                byBackend.values().forEach(HeldConnection::close);
            }
        }
    }

    /** A TCP server in a pod that greets each connection with the pod's name, then echoes every line until the client leaves. */
    private static final class HoldingEchoServer implements AutoCloseable {
        static final int PORT = 9191;
        private final ServerSocketChannel server;

        private HoldingEchoServer(ServerSocketChannel server) {
            this.server = server;
        }

        static HoldingEchoServer start(Path netns, String name) throws Exception {
            ServerSocketChannel server = NetnsSockets.tcpServer(netns);
            server.bind(new InetSocketAddress(PORT));
            Thread.ofVirtual().name("hold-" + name).start(() -> {
                while (server.isOpen()) {
                    try {
                        SocketChannel accepted = server.accept();
                        Thread.ofVirtual().start(() -> echo(accepted, name));
                    } catch (IOException e) {
                        return;
                    }
                }
            });
            return new HoldingEchoServer(server);
        }

        private static void echo(SocketChannel connection, String name) {
            try (connection) {
                connection.write(ByteBuffer.wrap((name + "\n").getBytes(StandardCharsets.UTF_8)));
                ByteBuffer buffer = ByteBuffer.allocate(1024);
                while (connection.read(buffer) >= 0) {
                    buffer.flip();
                    connection.write(buffer);
                    buffer.clear();
                }
            } catch (IOException ignored) {
                // The client reset or closed the connection: nothing left to echo.
            }
        }

        @Override
        public void close() throws Exception {
            server.close();
        }
    }

    /** A client connection kept open across a Service change; lines are echoed by {@link HoldingEchoServer}. */
    private record HeldConnection(SocketChannel channel, BufferedReader reader, String greeting) implements AutoCloseable {

        /** Connects and reads the greeting; null when the Service does not answer (yet). */
        static HeldConnection open(Path netns, InetAddress vip, int port) throws Exception {
            SocketChannel channel = NetnsSockets.tcp(netns);
            try {
                channel.socket().connect(new InetSocketAddress(vip, port), (int) TIMEOUT.toMillis());
                channel.socket().setSoTimeout((int) TIMEOUT.toMillis());
                BufferedReader reader = new BufferedReader(new InputStreamReader(channel.socket().getInputStream(), StandardCharsets.UTF_8));
                String greeting = reader.readLine();
                if (greeting != null) {
                    return new HeldConnection(channel, reader, greeting.strip());
                }
            } catch (IOException e) {
                // not reachable yet
            }
            channel.close();
            return null;
        }

        String echo(String line) throws IOException {
            channel.socket().getOutputStream().write((line + "\n").getBytes(StandardCharsets.UTF_8));
            String answer = reader.readLine();
            if (answer == null) {
                throw new EOFException("closed by the peer");
            }
            return answer;
        }

        @Override
        public void close() {
            try {
                channel.close();
            } catch (IOException ignored) {
                // closing only
            }
        }
    }

    /** The pod that answered a peer-echo probe ("ns/pod from ADDRESS"). */
    private static String backendOf(Probe.Result result) {
        return result.answer().substring(0, result.answer().indexOf(" from "));
    }

    /** The client address the backend saw in a peer-echo probe. */
    private static InetAddress peerOf(Probe.Result result) {
        return InetAddress.ofLiteral(result.answer().substring(result.answer().indexOf(" from ") + 6).strip());
    }
}
