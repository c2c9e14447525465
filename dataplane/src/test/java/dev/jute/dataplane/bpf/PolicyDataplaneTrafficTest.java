package dev.jute.dataplane.bpf;

import dev.jute.dataplane.NetNamespace;
import dev.jute.dataplane.PodLink;
import dev.jute.dataplane.PtpPodWiring;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.jute.dataplane.bpf.TrafficDirection.INGRESS;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Real traffic between two pods wired by {@link PtpPodWiring} in a scratch node namespace, with
 * the policy programs on both host-side veths: ping and TCP (socat) pass or not as the maps say,
 * replies of allowed connections pass, and enforcement carries on while no Java object is open
 * and after a new instance adopts the pins.
 */
class PolicyDataplaneTrafficTest {

    private static final String NODE_IPV4 = "10.99.0.1";
    private static final String POD1 = "10.88.0.1";
    private static final String POD2 = "10.88.0.2";
    private static final String POD1_V6 = "fd88::1";
    private static final String POD2_V6 = "fd88::2";
    private static final int POD1_ID = 101;
    private static final int POD2_ID = 102;
    private static final int POD1_IDENTITY = 3001;
    private static final int POD2_IDENTITY = 3002;
    private static final int HOST_IDENTITY = 1;

    private BpfTestEnvironment environment;
    private NetNamespace nodeNamespace;
    private String node;
    private String pod1;
    private String pod2;
    private final List<Process> servers = new ArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        BpfTestEnvironment.assumeBpf();
        Assumptions.assumeTrue(BpfTestEnvironment.onPath("ping") && BpfTestEnvironment.onPath("socat"),
                "needs `ping` (iputils-ping) and `socat` for real traffic: skipped");
        BpfTestEnvironment.removeLeftovers();
        environment = new BpfTestEnvironment();
        node = environment.createNamespace("node");
        pod1 = environment.createNamespace("pod1");
        pod2 = environment.createNamespace("pod2");
        BpfTestEnvironment.run("ip", "-n", node, "addr", "add", NODE_IPV4 + "/32", "dev", "lo");
        if (!BpfTestEnvironment.tryRun("ip", "netns", "exec", node, "test", "-e", "/proc/sys/net/ipv6/conf/all/force_forwarding")) {
            BpfTestEnvironment.run("ip", "netns", "exec", node, "sh", "-c", "echo 1 > /proc/sys/net/ipv6/conf/all/forwarding");
        }
        nodeNamespace = BpfTestEnvironment.open(node);
    }

    @AfterEach
    void tearDown() {
        for (Process server : servers) {
            server.destroyForcibly();
            try {
                server.waitFor(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (nodeNamespace != null) {
            nodeNamespace.close();
        }
        if (environment != null) {
            environment.close();
        }
    }

    private static boolean ping(String from, String destination) {
        return BpfTestEnvironment.execute(10, "ip", "netns", "exec", from, "ping", "-c1", "-W1", destination).exitCode() == 0;
    }

    /** Connects with TCP and reads the server's greeting; false when the connection cannot be made. */
    private static boolean tcp(String from, String destination, int port) {
        BpfTestEnvironment.Result result = BpfTestEnvironment.execute(10, "ip", "netns", "exec", from, "socat", "-T2",
                "-", "TCP:" + destination + ":" + port + ",connect-timeout=2");
        return result.exitCode() == 0 && result.stdout().contains("hello from " + port);
    }

    private void serve(String pod, int port) throws IOException, InterruptedException {
        Process server = new ProcessBuilder("ip", "netns", "exec", pod, "socat",
                "TCP-LISTEN:" + port + ",fork,reuseaddr", "SYSTEM:echo hello from " + port)
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        servers.add(server);
        for (int i = 0; i < 50; i++) {
            if (BpfTestEnvironment.run("ip", "netns", "exec", pod, "ss", "-ltnH").contains(":" + port + " ")) {
                return;
            }
            Thread.sleep(50);
        }
        fail("server on port " + port + " in " + pod + " did not start");
    }

    @Test
    void realTrafficIsEnforcedRepliesPassAndPinsKeepEnforcingAcrossAnAgentRestart() throws Exception {
        PodLink link1 = BpfTestEnvironment.wirePod(nodeNamespace, pod1, "bpf-pod-1", POD1, POD1_V6);
        PodLink link2 = BpfTestEnvironment.wirePod(nodeNamespace, pod2, "bpf-pod-2", POD2, POD2_V6);
        serve(pod2, 8080);
        serve(pod2, 9090);
        Path pins = environment.bpfFilesystem().resolve("jute").resolve("node-a");

        PolicyDataplane dataplane = PolicyDataplane.open(pins);
        try {
            PolicyMaps maps = dataplane.maps();
            maps.putIpcache(IpPrefix.parse(POD1), POD1_IDENTITY);
            maps.putIpcache(IpPrefix.parse(POD1_V6), POD1_IDENTITY);
            maps.putIpcache(IpPrefix.parse(POD2), POD2_IDENTITY);
            maps.putIpcache(IpPrefix.parse(POD2_V6), POD2_IDENTITY);
            maps.putIpcache(IpPrefix.parse(NODE_IPV4), HOST_IDENTITY);
            maps.putEndpoint(link1.hostInterfaceIndex(), endpoint(POD1_ID, POD1_IDENTITY, false, POD1, POD1_V6));
            maps.putEndpoint(link2.hostInterfaceIndex(), endpoint(POD2_ID, POD2_IDENTITY, false, POD2, POD2_V6));
            nodeNamespace.call(() -> {
                dataplane.attach(link1.hostInterfaceIndex());
                dataplane.attach(link2.hostInterfaceIndex());
                dataplane.attach(link2.hostInterfaceIndex()); // idempotent
                assertTrue(dataplane.isAttached(link1.hostInterfaceIndex()));
                assertTrue(dataplane.isAttached(link2.hostInterfaceIndex()));
                return null;
            });

            assertTrue(ping(pod1, POD2), "open pods reach each other");
            assertTrue(ping(pod1, POD2_V6), "over IPv6 too");
            assertTrue(tcp(pod1, POD2, 9090));

            // pod2 isolated for ingress: only TCP 8080 from pod1's identity.
            maps.putPolicy(PolicyKey.port(POD2_ID, INGRESS, new PolicyPeer.Identity(POD1_IDENTITY), PolicyKey.TCP, 8080));
            maps.putEndpoint(link2.hostInterfaceIndex(), endpoint(POD2_ID, POD2_IDENTITY, true, POD2, POD2_V6));
            assertTrue(tcp(pod1, POD2, 8080), "allowed port");
            assertFalse(tcp(pod1, POD2, 9090), "other port is dropped (the server listens)");
            assertFalse(ping(pod1, POD2), "ICMP is not TCP 8080");
            assertFalse(ping(pod1, POD2_V6));
            assertTrue(ping(pod2, POD1), "pod2's own ping: the replies into isolated pod2 pass by conntrack");
            assertTrue(ping(node, POD2), "the node reaches its pods");
            assertTrue(maps.dropped(POD2_ID, INGRESS, DropReason.POLICY_DENIED) >= 3,
                    "drops counted: " + maps.drops());
            assertTrue(maps.conntrack().stream().anyMatch(c -> c.endpointId() == POD2_ID && c.destinationPort() == 8080
                                                             && c.seenReply()), "the 8080 connection is tracked");
        } finally {
            dataplane.close();
        }

        // The agent is gone: no Java object holds anything, the kernel keeps enforcing.
        assertTrue(tcp(pod1, POD2, 8080), "still allowed with no agent");
        assertFalse(tcp(pod1, POD2, 9090), "still denied with no agent");
        assertFalse(ping(pod1, POD2));

        try (PolicyDataplane restarted = PolicyDataplane.open(pins)) {
            nodeNamespace.call(() -> {
                assertFalse(restarted.isAttached(link2.hostInterfaceIndex()), "the old agent's programs are attached");
                restarted.attach(link1.hostInterfaceIndex());
                restarted.attach(link2.hostInterfaceIndex());
                assertTrue(restarted.isAttached(link2.hostInterfaceIndex()));
                return null;
            });
            PolicyMaps maps = restarted.maps();
            assertEquals(2, maps.endpoints().size(), "adopted, not recreated");
            assertFalse(ping(pod1, POD2), "still enforced after the swap");
            maps.putPolicy(PolicyKey.anyProtocol(POD2_ID, INGRESS, new PolicyPeer.Identity(POD1_IDENTITY)));
            assertTrue(ping(pod1, POD2), "the new agent's writes reach the running programs");
            assertTrue(tcp(pod1, POD2, 9090));

            assertTrue(maps.deleteEndpoint(link2.hostInterfaceIndex()));
            assertFalse(ping(pod1, POD2), "an endpoint without state fails closed");
            nodeNamespace.call(() -> {
                assertTrue(restarted.detach(link2.hostInterfaceIndex()));
                assertFalse(restarted.detach(link2.hostInterfaceIndex()));
                return null;
            });
            assertTrue(ping(pod1, POD2), "without programs the link is plain again");
        }
    }

    private static EndpointInfo endpoint(int id, int identity, boolean ingressIsolated, String v4, String v6)
            throws Exception {
        return new EndpointInfo(id, identity, ingressIsolated, false, (Inet4Address) InetAddress.getByName(v4),
                (Inet6Address) InetAddress.getByName(v6));
    }
}
