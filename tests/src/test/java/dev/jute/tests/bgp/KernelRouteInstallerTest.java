package dev.jute.tests.bgp;

import dev.jute.agent.bgp.KernelNextHop;
import dev.jute.agent.bgp.KernelRouteInstaller;
import dev.jute.bgp.NextHop;
import dev.jute.bgp.Prefix;
import dev.jute.bgp.Route;
import dev.jute.bgp.rib.RouteAttributes;
import dev.jute.dataplane.NetNamespace;
import dev.jute.dataplane.NetlinkSocket;
import dev.jute.dataplane.RouteNetlink;
import dev.jute.inbox.Netns;
import dev.jute.inbox.bgp.BgpLab;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The installer against a real kernel table in a namespace of its own: what it installs, what it refuses,
 * and above all what it never touches (pod host routes, the node's own pod CIDR, other protocols' routes).
 */
class KernelRouteInstallerTest {

    static final String PREFIX = "jutebgp-";
    private Netns node;
    private NetNamespace namespace;
    private NetlinkSocket socket;

    @BeforeEach
    void setUp() {
        assumeTrue(Netns.available(), "needs root and iproute2 (ip): skipped");
        BgpLab.cleanLeftovers();
        node = Netns.create(PREFIX + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x1000, 0xffff)) + "-kri");
        node.exec("ip", "link", "add", "eth0", "type", "veth", "peer", "name", "eth0p").check();
        node.exec("ip", "link", "set", "eth0p", "up").check();
        node.exec("ip", "addr", "add", "172.31.9.1/24", "dev", "eth0").check();
        node.exec("ip", "addr", "add", "fd00:31:9::1/64", "dev", "eth0", "nodad").check();
        node.exec("ip", "link", "set", "eth0", "up").check();
        node.exec("ip", "link", "add", "juteveth0", "type", "veth", "peer", "name", "juteveth0p").check();
        node.exec("ip", "link", "set", "juteveth0p", "up").check();
        node.exec("ip", "link", "set", "juteveth0", "up").check();
        // A pod host route as the CNI wiring makes it: protocol jute, scope link, no gateway.
        node.exec("ip", "route", "add", "10.250.0.5/32", "dev", "juteveth0", "scope", "link", "proto", "74").check();
        // The administrator's static route and another daemon's route.
        node.exec("ip", "route", "add", "10.77.0.0/16", "via", "172.31.9.254", "proto", "static").check();
        node.exec("ip", "route", "add", "10.78.0.0/16", "via", "172.31.9.254", "proto", "bird").check();
        // Routes left by a previous agent: one BGP will confirm, one it will not.
        node.exec("ip", "route", "add", "10.60.0.0/24", "via", "172.31.9.2", "proto", "74", "metric", "20").check();
        node.exec("ip", "route", "add", "10.61.0.0/24", "via", "172.31.9.2", "proto", "74", "metric", "20").check();
        namespace = NetNamespace.open(node.path());
        socket = NetlinkSocket.openIn(namespace);
    }

    @AfterEach
    void tearDown() {
        if (socket != null) {
            socket.close();
        }
        if (namespace != null) {
            namespace.close();
        }
        if (node != null) {
            node.delete();
        }
    }

    static Route learned(String prefix, String nextHop, String peer) throws Exception {
        NextHop hop = NextHop.of(InetAddress.getByName(nextHop));
        return new Route(Prefix.parse(prefix), hop, RouteAttributes.local(hop), InetAddress.getByName(peer), 65001);
    }

    static Route learnedV6(String prefix, String global, String linkLocal, String peer) throws Exception {
        NextHop hop = new NextHop(InetAddress.getByName(global), InetAddress.getByName(linkLocal));
        return new Route(Prefix.parse(prefix), hop, RouteAttributes.local(hop), InetAddress.getByName(peer), 65001);
    }

    private String routes() {
        return node.exec("ip", "route", "show").stdout() + node.exec("ip", "-6", "route", "show").stdout();
    }

    @Test
    void installsReplacesAndRemovesOnlyItsOwnRoutes() throws Exception {
        try (KernelRouteInstaller installer = KernelRouteInstaller.start(new RouteNetlink(socket),
                List.of(Prefix.parse("10.250.0.0/24"), Prefix.parse("fd00:250::/64")))) {
            assertEquals(2, installer.adoptedCount(), routes());
            assertFalse(installer.settled());

            installer.routeAdded(learned("10.251.0.0/24", "172.31.9.2", "172.31.9.2"));
            // A next hop outside every subnet from a directly connected peer: on-link via the peer's interface.
            installer.routeAdded(learned("10.252.0.0/24", "192.0.2.7", "172.31.9.2"));
            // Global next hop not on a subnet of ours, link-local beside it (BIRD): the link-local is used.
            installer.routeAdded(learnedV6("fd00:251::/64", "2001:db8::2", "fe80::2", "fd00:31:9::2"));
            installer.routeAdded(learnedV6("fd00:252::/64", "fd00:31:9::3", "fe80::3", "fd00:31:9::3"));
            // Never over the node's own pod routes: neither a pod /32 nor the pod CIDR itself.
            installer.routeAdded(learned("10.250.0.5/32", "172.31.9.2", "172.31.9.2"));
            installer.routeAdded(learned("10.250.0.0/24", "172.31.9.2", "172.31.9.2"));
            // Re-learned adopted route, now via another next hop: replaced in place.
            installer.routeAdded(learned("10.60.0.0/24", "172.31.9.3", "172.31.9.3"));
            // Same prefix as the administrator's route: both exist, the administrator's (metric 0) wins.
            installer.routeAdded(learned("10.77.0.0/16", "172.31.9.2", "172.31.9.2"));
            await("installed", installer::idle);

            String v4 = node.exec("ip", "route", "show").stdout();
            String v6 = node.exec("ip", "-6", "route", "show").stdout();
            assertTrue(v4.contains("10.251.0.0/24 via 172.31.9.2 dev eth0 proto 74 metric 20"), v4);
            assertTrue(v4.contains("10.252.0.0/24 via 192.0.2.7 dev eth0 proto 74 metric 20 onlink"), v4);
            assertTrue(v6.contains("fd00:251::/64 via fe80::2 dev eth0 proto 74 metric 20"), v6);
            assertTrue(v6.contains("fd00:252::/64 via fd00:31:9::3 dev eth0 proto 74 metric 20"), v6);
            assertTrue(v4.contains("10.60.0.0/24 via 172.31.9.3 dev eth0 proto 74 metric 20"), v4);
            assertFalse(v4.contains("10.60.0.0/24 via 172.31.9.2 "), v4);
            assertTrue(v4.contains("10.77.0.0/16 via 172.31.9.254 dev eth0 proto static"), v4);
            assertTrue(v4.contains("10.77.0.0/16 via 172.31.9.2 dev eth0 proto 74 metric 20"), v4);
            assertTrue(v4.contains("10.250.0.5 dev juteveth0 proto 74 scope link"), v4);
            assertFalse(v4.contains("10.250.0.0/24"), v4);
            assertFalse(v4.contains("10.250.0.5 via"), v4);
            assertNotNull(installer.failure(Prefix.parse("10.250.0.5/32")));
            assertNull(installer.installed(Prefix.parse("10.250.0.0/24")));
            KernelNextHop onLink = installer.installed(Prefix.parse("10.252.0.0/24"));
            assertTrue(onLink.onLink());

            // Settling removes the adopted route BGP did not confirm, and nothing else.
            installer.settle();
            await("settled", installer::settled);
            v4 = node.exec("ip", "route", "show").stdout();
            assertFalse(v4.contains("10.61.0.0/24"), v4);
            assertTrue(v4.contains("10.60.0.0/24 via 172.31.9.3"), v4);
            assertEquals(1, installer.staleRemovedCount());

            // Withdrawals and a change of best route.
            installer.routeRemoved(learned("10.251.0.0/24", "172.31.9.2", "172.31.9.2"));
            installer.routeChanged(learned("10.252.0.0/24", "192.0.2.7", "172.31.9.2"),
                    learned("10.252.0.0/24", "172.31.9.4", "172.31.9.4"));
            installer.routeRemoved(learned("10.77.0.0/16", "172.31.9.2", "172.31.9.2"));
            // An unresolvable next hop (the node itself) is reported, not installed.
            installer.routeAdded(learned("10.253.0.0/24", "172.31.9.1", "172.31.9.2"));
            await("withdrawn", installer::idle);
            v4 = node.exec("ip", "route", "show").stdout();
            assertFalse(v4.contains("10.251.0.0/24"), v4);
            assertTrue(v4.contains("10.252.0.0/24 via 172.31.9.4 dev eth0 proto 74 metric 20"), v4);
            assertFalse(v4.contains("onlink"), v4);
            assertTrue(v4.contains("10.77.0.0/16 via 172.31.9.254 dev eth0 proto static"), v4);
            assertFalse(v4.contains("10.77.0.0/16 via 172.31.9.2 "), v4);
            assertTrue(v4.contains("10.78.0.0/16 via 172.31.9.254 dev eth0 proto bird"), v4);
            assertTrue(v4.contains("10.250.0.5 dev juteveth0 proto 74 scope link"), v4);
            assertFalse(v4.contains("10.253.0.0/24"), v4);
            assertTrue(installer.failure(Prefix.parse("10.253.0.0/24")).contains("is this node"));
        }
        // Closing the installer (agent stop) leaves the kernel routes in place.
        assertTrue(node.exec("ip", "route", "show").stdout().contains("10.252.0.0/24 via 172.31.9.4"));
    }

    static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out waiting: " + what);
            }
            Thread.sleep(20);
        }
    }
}
