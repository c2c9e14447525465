package dev.jute.dataplane;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Pod wiring between a "node" namespace (playing the host) and "pod" namespaces, all fresh; the
 * wiring runs on this platform thread inside {@link NetNamespace#call} for the node namespace.
 * The node gets addresses on its {@code lo} (like a node IP) and no forwarding setting other than
 * what wiring does per interface.
 */
class PtpPodWiringRootTest {

    private static final String NODE_IPV4 = "10.99.0.1";
    private static final String NODE_IPV6 = "fd99::1";

    private final PtpPodWiring wiring = new PtpPodWiring();
    private RootNamespaces namespaces;
    private String node;
    private NetNamespace nodeNamespace;

    @BeforeAll
    static void requireRoot() {
        RootNamespaces.assumeRootAndIp();
        RootNamespaces.removeLeftovers();
    }

    @BeforeEach
    void createNode() {
        namespaces = new RootNamespaces();
        node = namespaces.create("node");
        RootNamespaces.run("ip", "-n", node, "addr", "add", NODE_IPV4 + "/32", "dev", "lo");
        RootNamespaces.run("ip", "-n", node, "addr", "add", NODE_IPV6 + "/128", "dev", "lo", "nodad");
        nodeNamespace = NetNamespace.open(RootNamespaces.path(node));
    }

    @AfterEach
    void cleanUp() {
        if (nodeNamespace != null) {
            nodeNamespace.close();
        }
        namespaces.close();
    }

    private static InetAddress ip(String literal) throws Exception {
        return InetAddress.getByName(literal);
    }

    private PodWiringSpec spec(String pod, String containerId, String... addresses) throws Exception {
        List<InetAddress> podAddresses = new ArrayList<>();
        for (String address : addresses) {
            podAddresses.add(ip(address));
        }
        return new PodWiringSpec(RootNamespaces.path(pod), PtpPodWiring.hostInterfaceName(containerId, "eth0"), "eth0",
                1500, podAddresses);
    }

    private <T> T inNode(java.util.concurrent.Callable<T> body) throws Exception {
        return nodeNamespace.call(body);
    }

    private static boolean ping(String fromNamespace, String destination) {
        return RootNamespaces.tryRun("ip", "netns", "exec", fromNamespace, "ping", "-c1", "-W1", destination);
    }

    private void assumePing() {
        org.junit.jupiter.api.Assumptions.assumeTrue(RootNamespaces.onPath("ping"),
                "needs `ping` (Debian package iputils-ping) for traffic checks: skipped");
    }

    @Test
    void wiredPodsReachEachOtherAndTheNodeDualStack() throws Exception {
        assumePing();
        String pod1 = namespaces.create("pod1");
        String pod2 = namespaces.create("pod2");
        PodWiringSpec spec1 = spec(pod1, "container-1", "10.88.0.1", "fd88::1");
        PodWiringSpec spec2 = spec(pod2, "container-2", "10.88.0.2", "fd88::2");

        // IPv6 forwarding is gated by net.ipv6.conf.all.forwarding unless the ingress interface has
        // force_forwarding (Linux 6.17+), which wiring sets. On older kernels the agent enables
        // "all" in the node namespace it manages; this test does the same in its own node namespace.
        boolean perInterfaceIpv6Forwarding = RootNamespaces.tryRun("ip", "netns", "exec", node, "test", "-e",
                "/proc/sys/net/ipv6/conf/all/force_forwarding");
        if (!perInterfaceIpv6Forwarding) {
            RootNamespaces.run("ip", "netns", "exec", node, "sh", "-c", "echo 1 > /proc/sys/net/ipv6/conf/all/forwarding");
        }

        PodLink link1 = inNode(() -> wiring.wire(spec1));
        PodLink link2 = inNode(() -> wiring.wire(spec2));

        assertEquals(spec1.hostInterfaceName(), link1.hostInterfaceName());
        assertEquals(PtpPodWiring.HOST_MAC, link1.hostMac());
        assertEquals("eth0", link1.podInterfaceName());
        assertNotEquals(PtpPodWiring.HOST_MAC, link1.podMac());
        assertEquals(spec1.podNetns(), link1.podNetns());
        assertTrue(link1.podInterfaceIndex() > 0 && link1.hostInterfaceIndex() > 0);

        // The node's "all" forwarding stays off: per-interface settings are all wiring needs.
        assertEquals("0", RootNamespaces.run("ip", "netns", "exec", node, "cat", "/proc/sys/net/ipv4/conf/all/forwarding").strip());
        if (perInterfaceIpv6Forwarding) {
            assertEquals("0", RootNamespaces.run("ip", "netns", "exec", node, "cat", "/proc/sys/net/ipv6/conf/all/forwarding").strip());
        }
        assertEquals("1", RootNamespaces.run("ip", "netns", "exec", node, "cat",
                "/proc/sys/net/ipv4/conf/" + link1.hostInterfaceName() + "/forwarding").strip());
        String hostAddresses = RootNamespaces.run("ip", "-j", "-n", node, "addr", "show", "dev", link1.hostInterfaceName());
        assertTrue(hostAddresses.contains("\"local\":\"fe80::ecee:eeff:feee:eeee\",\"prefixlen\":64"), hostAddresses);
        assertFalse(hostAddresses.contains("\"family\":\"inet\""), "no IPv4 address on the host end: " + hostAddresses);

        assertTrue(ping(pod1, "10.88.0.2"), "pod1 -> pod2 over IPv4");
        assertTrue(ping(pod2, "10.88.0.1"), "pod2 -> pod1 over IPv4");
        assertTrue(ping(pod1, NODE_IPV4), "pod1 -> node over IPv4");
        assertTrue(ping(pod1, "fd88::2"), "pod1 -> pod2 over IPv6");
        assertTrue(ping(pod2, NODE_IPV6), "pod2 -> node over IPv6");
        assertTrue(ping(pod1, "fe80::ecee:eeff:feee:eeee%eth0"), "pod1 -> its gateway, the host veth's own link-local address");
        assertFalse(ping(pod1, "10.88.0.99"), "an unwired address is unreachable (the test can fail)");

        assertEquals(List.of(), inNode(() -> wiring.check(spec1)));
        assertEquals(List.of(), inNode(() -> wiring.check(spec2)));

        // Pod side seen by ip: address, gateway route, default route, static neighbour.
        String podAddresses = RootNamespaces.run("ip", "-j", "-n", pod1, "addr", "show", "dev", "eth0");
        assertTrue(podAddresses.contains("\"local\":\"10.88.0.1\",\"prefixlen\":32"), podAddresses);
        assertTrue(podAddresses.contains("\"local\":\"fd88::1\",\"prefixlen\":128"), podAddresses);
        String podRoutes = RootNamespaces.run("ip", "-j", "-n", pod1, "route", "show");
        assertTrue(podRoutes.contains("\"dst\":\"default\",\"gateway\":\"169.254.1.1\",\"dev\":\"eth0\""), podRoutes);
        assertTrue(podRoutes.contains("\"dst\":\"169.254.1.1\",\"dev\":\"eth0\",\"protocol\":\"74\",\"scope\":\"link\""), podRoutes);
        String podRoutes6 = RootNamespaces.run("ip", "-j", "-6", "-n", pod1, "route", "show", "default");
        assertTrue(podRoutes6.contains("\"gateway\":\"fe80::ecee:eeff:feee:eeee\",\"dev\":\"eth0\""), podRoutes6);
        String podNeighbours = RootNamespaces.run("ip", "-j", "-n", pod1, "neigh", "show", "dev", "eth0", "nud", "permanent");
        assertTrue(podNeighbours.contains("\"dst\":\"169.254.1.1\",\"lladdr\":\"ee:ee:ee:ee:ee:ee\""), podNeighbours);
        String hostRoutes = RootNamespaces.run("ip", "-j", "-n", node, "route", "show", "10.88.0.1");
        assertTrue(hostRoutes.contains("\"dev\":\"" + link1.hostInterfaceName() + "\",\"protocol\":\"74\",\"scope\":\"link\""),
                hostRoutes);
    }

    @Test
    void checkReportsWhatIsMissing() throws Exception {
        String pod = namespaces.create("pod");
        PodWiringSpec spec = spec(pod, "container-check", "10.88.1.1", "fd88:1::1");
        PodLink link = inNode(() -> wiring.wire(spec));
        assertEquals(List.of(), inNode(() -> wiring.check(spec)));

        RootNamespaces.run("ip", "-n", pod, "addr", "del", "fd88:1::1/128", "dev", "eth0");
        List<String> problems = inNode(() -> wiring.check(spec));
        assertEquals(List.of("address fd88:1::1/128 is missing on pod interface eth0"), problems);

        // Removing the last IPv4 address of a device makes the kernel flush its IPv4 routes and
        // neighbours as well; check() reports all of it.
        RootNamespaces.run("ip", "-n", pod, "addr", "del", "10.88.1.1/32", "dev", "eth0");
        assertEquals("[]", RootNamespaces.run("ip", "-j", "-n", pod, "-4", "route", "show", "dev", "eth0").strip());
        problems = inNode(() -> wiring.check(spec));
        assertEquals(List.of("address 10.88.1.1/32 is missing on pod interface eth0",
                "address fd88:1::1/128 is missing on pod interface eth0",
                "pod route 169.254.1.1 dev eth0 is missing",
                "pod default route via 169.254.1.1 dev eth0 is missing",
                "pod neighbour entry 169.254.1.1 lladdr ee:ee:ee:ee:ee:ee dev eth0 is missing"), problems);

        RootNamespaces.run("ip", "-n", node, "route", "del", "fd88:1::1/128", "dev", link.hostInterfaceName());
        RootNamespaces.run("ip", "-n", node, "link", "set", link.hostInterfaceName(), "down");
        problems = inNode(() -> wiring.check(spec));
        assertTrue(problems.contains("host interface " + link.hostInterfaceName() + " is down"), problems.toString());
        assertTrue(problems.contains("host route fd88:1::1/128 dev " + link.hostInterfaceName() + " is missing"), problems.toString());

        assertTrue(inNode(() -> wiring.unwire(link.hostInterfaceName())));
        problems = inNode(() -> wiring.check(spec));
        assertTrue(problems.contains("host interface " + link.hostInterfaceName() + " is missing"), problems.toString());
        assertTrue(problems.contains("pod interface eth0 is missing in " + spec.podNetns()), problems.toString());
    }

    @Test
    void unwireIsIdempotentAndRemovesBothEndsAndRoutes() throws Exception {
        String pod = namespaces.create("pod");
        PodWiringSpec spec = spec(pod, "container-unwire", "10.88.2.1");
        PodLink link = inNode(() -> wiring.wire(spec));

        assertTrue(inNode(() -> wiring.unwire(link.hostInterfaceName())));
        assertFalse(inNode(() -> wiring.unwire(link.hostInterfaceName())));
        assertFalse(RootNamespaces.tryRun("ip", "-n", pod, "link", "show", "eth0"));
        assertEquals("[]", RootNamespaces.run("ip", "-j", "-n", node, "route", "show", "10.88.2.1").strip());
    }

    @Test
    void takenPodInterfaceNameIsAClearErrorAndLeavesNothingOnTheHost() throws Exception {
        String pod = namespaces.create("pod");
        RootNamespaces.run("ip", "-n", pod, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0peer");
        PodWiringSpec spec = spec(pod, "container-taken", "10.88.3.1");
        String before = RootNamespaces.run("ip", "-n", node, "-o", "link", "show");

        PodWiringException e = assertThrows(PodWiringException.class, () -> inNode(() -> wiring.wire(spec)));
        assertTrue(e.getMessage().contains("eth0 already exists in pod network namespace"), e.getMessage());
        assertEquals(before, RootNamespaces.run("ip", "-n", node, "-o", "link", "show"));
        assertEquals("[]", RootNamespaces.run("ip", "-j", "-n", node, "route", "show", "10.88.3.1").strip());
    }

    @Test
    void failureHalfWayRollsBackTheVethPair() throws Exception {
        // The pod already has a default route (another interface), so adding ours fails after the
        // veth pair exists: everything wiring did must disappear.
        String pod = namespaces.create("pod");
        RootNamespaces.run("ip", "-n", pod, "link", "add", "other0", "type", "veth", "peer", "name", "other0peer");
        RootNamespaces.run("ip", "-n", pod, "link", "set", "other0", "up");
        RootNamespaces.run("ip", "-n", pod, "addr", "add", "192.0.2.10/24", "dev", "other0");
        RootNamespaces.run("ip", "-n", pod, "route", "add", "default", "via", "192.0.2.1");
        PodWiringSpec spec = spec(pod, "container-rollback", "10.88.4.1");

        NetlinkException e = assertThrows(NetlinkException.class, () -> inNode(() -> wiring.wire(spec)));
        assertEquals(Errno.EEXIST, e.errno());
        assertFalse(RootNamespaces.tryRun("ip", "-n", node, "link", "show", spec.hostInterfaceName()));
        assertFalse(RootNamespaces.tryRun("ip", "-n", pod, "link", "show", "eth0"));
        assertEquals("[]", RootNamespaces.run("ip", "-j", "-n", node, "route", "show", "10.88.4.1").strip());
    }

    @Test
    void missingPodNamespaceIsAClearError() throws Exception {
        PodWiringSpec spec = spec(RootNamespaces.PREFIX + "missing-" + UUID.randomUUID().toString().substring(0, 8),
                "container-missing", "10.88.5.1");
        PodWiringException e = assertThrows(PodWiringException.class, () -> inNode(() -> wiring.wire(spec)));
        assertTrue(e.getMessage().contains("cannot open pod network namespace"), e.getMessage());
        assertTrue(inNode(() -> wiring.check(spec)).contains("pod network namespace " + spec.podNetns() + " does not exist"));
    }

    @Test
    void wireTakesWellUnderTenMilliseconds() throws Exception {
        String pod = namespaces.create("pod");
        PodWiringSpec spec = spec(pod, "container-speed", "10.88.6.1", "fd88:6::1");
        int rounds = 50;
        List<Long> wireNanos = new ArrayList<>();
        List<Long> unwireNanos = new ArrayList<>();
        inNode(() -> {
            for (int i = 0; i < 5; i++) { // warm-up: class loading, JIT, JNA binding
                wiring.wire(spec);
                wiring.unwire(spec.hostInterfaceName());
            }
            for (int i = 0; i < rounds; i++) {
                long start = System.nanoTime();
                wiring.wire(spec);
                long wired = System.nanoTime();
                wiring.unwire(spec.hostInterfaceName());
                long unwired = System.nanoTime();
                wireNanos.add(wired - start);
                unwireNanos.add(unwired - wired);
            }
            return null;
        });
        Collections.sort(wireNanos);
        Collections.sort(unwireNanos);
        double wireMedianMs = wireNanos.get(rounds / 2) / 1e6;
        double unwireMedianMs = unwireNanos.get(rounds / 2) / 1e6;
        System.out.printf("PtpPodWiring dual-stack: wire median %.2f ms (min %.2f, max %.2f), unwire median %.2f ms over %d rounds%n",
                wireMedianMs, wireNanos.getFirst() / 1e6, wireNanos.getLast() / 1e6, unwireMedianMs, rounds);
        assertTrue(wireMedianMs < 10, "wire() median " + wireMedianMs + " ms");
    }
}
