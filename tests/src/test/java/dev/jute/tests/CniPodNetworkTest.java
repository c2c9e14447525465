package dev.jute.tests;

import dev.jute.dataplane.Address;
import dev.jute.dataplane.Link;
import dev.jute.dataplane.NetNamespace;
import dev.jute.dataplane.NetlinkSocket;
import dev.jute.dataplane.Route;
import dev.jute.dataplane.RouteNetlink;
import dev.jute.inbox.Command;
import dev.jute.inbox.Netns;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The built jute-cni executable, run as a container runtime runs it, against a real agent in a node
 * namespace: the pod's interface, addresses and routes exist (read back over netlink) and real traffic
 * flows pod to host and pod to pod, IPv4 and IPv6.
 */
class CniPodNetworkTest {

    private static NodeFixture node;

    @BeforeAll
    static void startNode() throws Exception {
        NodeFixture.assumeRootAndIp();
        node = new NodeFixture("10.244.7.0/24", "fd00:10:244:7::/64");
    }

    @AfterAll
    static void stopNode() {
        if (node != null) {
            node.close();
        }
    }

    @Test
    void addWiresThePodAndTrafficFlows() throws Exception {
        Netns a = node.newPod("wire-a");
        Netns b = node.newPod("wire-b");
        Command.Result addA = node.add("wire-a", a, "1.1.0");
        Command.Result addB = node.add("wire-b", b, "1.1.0");
        assertEquals(0, addA.exitCode(), addA.stdout() + addA.stderr());
        assertEquals(0, addB.exitCode(), addB.stdout() + addB.stderr());

        List<String> ipsA = NodeFixture.addresses(addA);
        List<String> ipsB = NodeFixture.addresses(addB);
        assertEquals(2, ipsA.size(), "dual stack: one IPv4 and one IPv6 address: " + addA.stdout());
        assertTrue(ipsA.get(0).startsWith("10.244.7."), ipsA.toString());
        assertTrue(ipsA.get(1).startsWith("fd00:10:244:7:"), ipsA.toString());
        assertNotEquals(ipsA, ipsB);

        // Read the pod's side back over netlink, from inside its namespace.
        try (NetNamespace podNs = NetNamespace.open(a.path());
             NetlinkSocket socket = NetlinkSocket.openIn(podNs)) {
            RouteNetlink rtnl = new RouteNetlink(socket);
            Link eth0 = rtnl.link("eth0").orElseThrow(() -> new AssertionError("eth0 missing in the pod"));
            assertTrue(eth0.up());
            assertEquals(1500, eth0.mtu());
            InetAddress ip4 = InetAddress.getByName(ipsA.get(0));
            InetAddress ip6 = InetAddress.getByName(ipsA.get(1));
            InetAddress gw4 = InetAddress.getByName("169.254.1.1");
            InetAddress gw6 = InetAddress.getByName("fe80::ecee:eeff:feee:eeee");
            List<Address> addresses = rtnl.addresses(dev.jute.dataplane.LibC.AF_INET, eth0.index());
            assertTrue(addresses.stream().anyMatch(x -> x.address().equals(ip4)
                    && x.prefixLength() == 32), addresses.toString());
            List<Address> addresses6 = rtnl.addresses(dev.jute.dataplane.LibC.AF_INET6, eth0.index());
            assertTrue(addresses6.stream().anyMatch(x -> x.address().equals(ip6)
                    && x.prefixLength() == 128), addresses6.toString());
            List<Route> routes = rtnl.routes(dev.jute.dataplane.LibC.AF_INET);
            assertTrue(routes.stream().anyMatch(r -> r.isDefault()
                    && gw4.equals(r.gateway())), routes.toString());
            List<Route> routes6 = rtnl.routes(dev.jute.dataplane.LibC.AF_INET6);
            assertTrue(routes6.stream().anyMatch(r -> r.isDefault()
                    && gw6.equals(r.gateway())), routes6.toString());
        }

        // The host side: a route to each pod address through the host veth.
        String hostRoutes = node.node.exec("ip", "route", "show", "proto", "74").stdout();
        assertTrue(hostRoutes.contains(ipsA.get(0) + " dev jute"), hostRoutes);
        assertTrue(hostRoutes.contains(ipsB.get(0) + " dev jute"), hostRoutes);

        assertTrue(node.ping(a, NodeFixture.NODE_ADDRESS), "pod a -> node");
        assertTrue(node.ping(a, ipsB.get(0)), "pod a -> pod b (IPv4)");
        assertTrue(node.ping(b, ipsA.get(0)), "pod b -> pod a (IPv4)");
        assertTrue(node.ping(a, ipsB.get(1)), "pod a -> pod b (IPv6)");

        Command.Result check = node.cni().invoke(
                dev.jute.inbox.CniPlugin.Invocation.check("wire-a", a.path(), "eth0"), withPrevResult(addA.stdout()));
        assertEquals(0, check.exitCode(), check.stdout() + check.stderr());

        assertEquals(0, node.del("wire-a", a, "1.1.0").exitCode());
        assertEquals(0, node.del("wire-b", b, "1.1.0").exitCode());
        assertFalse(node.ping(a, ipsB.get(0)), "after DEL there is no path");
        assertFalse(a.exec("ip", "link", "show", "eth0").ok(), "eth0 is gone from the pod");
    }

    @Test
    void delIsIdempotentAndReleasesTheAddress() throws Exception {
        Netns pod = node.newPod("del");
        Command.Result add = node.add("del-1", pod, "1.0.0");
        assertEquals(0, add.exitCode(), add.stdout());
        String ip = NodeFixture.ipv4(add);
        assertTrue(node.ipamRecords().contains(ip));
        for (int i = 0; i < 2; i++) {
            Command.Result del = node.del("del-1", pod, "1.0.0");
            assertEquals(0, del.exitCode(), "DEL #" + (i + 1) + ": " + del.stdout() + del.stderr());
            assertEquals("", del.stdout().strip());
        }
        assertFalse(node.ipamRecords().contains(ip), "released");
        assertTrue(node.hostInterfaces().stream().noneMatch(n -> n.equals(hostInterface("del-1"))));
        // DEL of a container nobody ever added, with an empty CNI_NETNS as containerd sends it.
        Command.Result unknown = node.cni().invoke(new dev.jute.inbox.CniPlugin.Invocation("DEL", "never-added", null,
                "eth0", null), node.config("1.0.0"));
        assertEquals(0, unknown.exitCode(), unknown.stdout());
    }

    @Test
    void checkReportsAnAddressRemovedInsideThePod() {
        Netns pod = node.newPod("check");
        Command.Result add = node.add("check-1", pod, "1.1.0");
        assertEquals(0, add.exitCode(), add.stdout());
        String ip = NodeFixture.ipv4(add);
        pod.exec("ip", "addr", "del", ip + "/32", "dev", "eth0").check();

        Command.Result check = node.cni().invoke(
                dev.jute.inbox.CniPlugin.Invocation.check("check-1", pod.path(), "eth0"), withPrevResult(add.stdout()));
        assertNotEquals(0, check.exitCode());
        Map<String, Object> error = NodeFixture.json(check.stdout());
        assertEquals(100L, error.get("code"), check.stdout());
        assertTrue(String.valueOf(error.get("details")).contains(ip), check.stdout());
        assertEquals(0, node.del("check-1", pod, "1.1.0").exitCode());
    }

    @Test
    void addIsIdempotentForTheSameContainer() {
        Netns pod = node.newPod("idem");
        Command.Result first = node.add("idem-1", pod, "1.1.0");
        Command.Result second = node.add("idem-1", pod, "1.1.0");
        assertEquals(0, first.exitCode(), first.stdout());
        assertEquals(0, second.exitCode(), second.stdout());
        assertEquals(NodeFixture.addresses(first), NodeFixture.addresses(second));
        assertTrue(node.ping(pod, NodeFixture.NODE_ADDRESS), "the retried ADD left a working interface");
        assertEquals(0, node.del("idem-1", pod, "1.1.0").exitCode());
    }

    static String withPrevResult(String addResult) {
        return "{\"cniVersion\":\"1.1.0\",\"name\":\"jute-test\",\"type\":\"jute-cni\",\"agentSocket\":\""
                + node.socket() + "\",\"prevResult\":" + addResult + "}";
    }

    static String hostInterface(String containerId) {
        return dev.jute.dataplane.PtpPodWiring.hostInterfaceName(containerId, "eth0");
    }

}
