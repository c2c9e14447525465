package dev.jute.dataplane;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * rtnetlink against the real kernel, inside two fresh namespaces "a" and "b" (never the root
 * namespace). Results are checked through our own dumps and through {@code ip -j}.
 */
class RouteNetlinkRootTest {

    private static final MacAddress LOCAL_MAC = MacAddress.parse("02:00:5e:00:00:aa");

    private RootNamespaces namespaces;
    private String nameA;
    private String nameB;
    private NetNamespace a;
    private NetNamespace b;
    private NetlinkSocket socketA;
    private NetlinkSocket socketB;
    private RouteNetlink inA;
    private RouteNetlink inB;

    @BeforeAll
    static void requireRoot() {
        RootNamespaces.assumeRootAndIp();
        RootNamespaces.removeLeftovers();
    }

    @BeforeEach
    void createNamespaces() {
        namespaces = new RootNamespaces();
        nameA = namespaces.create("a");
        nameB = namespaces.create("b");
        a = NetNamespace.open(RootNamespaces.path(nameA));
        b = NetNamespace.open(RootNamespaces.path(nameB));
        socketA = NetlinkSocket.openIn(a);
        socketB = NetlinkSocket.openIn(b);
        inA = new RouteNetlink(socketA);
        inB = new RouteNetlink(socketB);
    }

    @AfterEach
    void cleanUp() {
        for (AutoCloseable closeable : new AutoCloseable[]{socketA, socketB, a, b, namespaces}) {
            try {
                if (closeable != null) {
                    closeable.close();
                }
            } catch (Exception ignored) {
                // best effort: the namespaces' deletion removes everything else
            }
        }
    }

    private static InetAddress ip(String literal) throws Exception {
        return InetAddress.getByName(literal);
    }

    /** Creates veth "va" in a and its peer "vb" directly in b, both up. */
    private Link vethAcrossNamespaces() {
        inA.createVethPair("va", "vb", b, 1400, LOCAL_MAC);
        Link local = inA.requireLink("va");
        inA.setLinkUp(local.index());
        inB.setLinkUp(inB.requireLink("vb").index());
        return inA.requireLink("va");
    }

    @Test
    void vethPeerIsCreatedDirectlyInTheOtherNamespace() {
        Link local = vethAcrossNamespaces();
        assertEquals("va", local.name());
        assertEquals(1400, local.mtu());
        assertEquals(LOCAL_MAC, local.mac());
        assertEquals("veth", local.kind());
        assertTrue(local.up());
        assertEquals(local, inA.link(local.index()).orElseThrow());
        assertTrue(inA.links().stream().anyMatch(l -> l.name().equals("lo") && l.kind() == null));

        Link peer = inB.link("vb").orElseThrow();
        assertEquals(1400, peer.mtu());
        assertEquals("veth", peer.kind());
        assertTrue(inA.link("vb").isEmpty(), "the peer never lives in a");

        String ipA = RootNamespaces.run("ip", "-j", "-n", nameA, "-d", "link", "show", "va");
        assertTrue(ipA.contains("\"ifname\":\"va\""), ipA);
        assertTrue(ipA.contains("\"mtu\":1400"), ipA);
        assertTrue(ipA.contains("\"address\":\"02:00:5e:00:00:aa\""), ipA);
        assertTrue(ipA.contains("\"info_kind\":\"veth\""), ipA);
        String ipB = RootNamespaces.run("ip", "-j", "-n", nameB, "link", "show", "vb");
        assertTrue(ipB.contains("\"ifname\":\"vb\""), ipB);
    }

    @Test
    void takenNameFailsWithEexistAndMissingLinksAreEmpty() {
        vethAcrossNamespaces();
        NetlinkException taken = assertThrows(NetlinkException.class,
                () -> inA.createVethPair("va", "other", b, 1500, null));
        assertEquals(Errno.EEXIST, taken.errno());
        NetlinkException peerTaken = assertThrows(NetlinkException.class,
                () -> inA.createVethPair("fresh", "vb", b, 1500, null));
        assertEquals(Errno.EEXIST, peerTaken.errno());
        assertTrue(inA.link("fresh").isEmpty(), "a failed creation leaves nothing");

        assertTrue(inA.link("nothere").isEmpty());
        assertTrue(inA.link(999_999).isEmpty());
        NetlinkException missing = assertThrows(NetlinkException.class, () -> inA.deleteLink("nothere"));
        assertEquals(Errno.ENODEV, missing.errno());
    }

    @Test
    void deletingOneEndRemovesThePairAndIsIdempotent() {
        vethAcrossNamespaces();
        assertTrue(inA.deleteLinkIfExists("va"));
        assertFalse(inA.deleteLinkIfExists("va"));
        assertTrue(inB.link("vb").isEmpty());
        assertFalse(RootNamespaces.tryRun("ip", "-n", nameB, "link", "show", "vb"));
    }

    @Test
    void setLinkDownAndUp() {
        Link local = vethAcrossNamespaces();
        inA.setLinkDown(local.index());
        assertFalse(inA.requireLink("va").up());
        assertTrue(RootNamespaces.run("ip", "-j", "-n", nameA, "link", "show", "va").contains("\"operstate\":\"DOWN\""));
        inA.setLinkUp(local.index());
        assertTrue(inA.requireLink("va").up());
    }

    @Test
    void addressesIpv4AndIpv6() throws Exception {
        int index = vethAcrossNamespaces().index();
        inA.addAddress(index, ip("10.200.0.1"), 24);
        inA.addAddress(index, ip("fd00:200::1"), 64);

        List<Address> addresses = inA.addresses(LibC.AF_UNSPEC, index);
        InetAddress v4Address = ip("10.200.0.1");
        InetAddress v6Address = ip("fd00:200::1");
        Address v4 = addresses.stream().filter(x -> x.address().equals(v4Address)).findFirst().orElseThrow();
        assertEquals(24, v4.prefixLength());
        Address v6 = addresses.stream().filter(x -> x.address().equals(v6Address)).findFirst().orElseThrow();
        assertEquals(64, v6.prefixLength());
        assertTrue(v6.hasFlag(Address.NODAD), "IPv6 addresses skip DAD");
        assertFalse(v6.hasFlag(Address.TENTATIVE), "so they are usable at once");
        assertTrue(inA.addresses(LibC.AF_INET).stream().noneMatch(x -> x.family() == LibC.AF_INET6));

        String ipJson = RootNamespaces.run("ip", "-j", "-n", nameA, "addr", "show", "dev", "va");
        assertTrue(ipJson.contains("\"local\":\"10.200.0.1\",\"prefixlen\":24"), ipJson);
        assertTrue(ipJson.contains("\"local\":\"fd00:200::1\",\"prefixlen\":64"), ipJson);
        assertTrue(ipJson.contains("\"nodad\":true"), ipJson);

        NetlinkException duplicate = assertThrows(NetlinkException.class, () -> inA.addAddress(index, ip("10.200.0.1"), 24));
        assertEquals(Errno.EEXIST, duplicate.errno());

        inA.deleteAddress(index, ip("10.200.0.1"), 24);
        assertTrue(inA.addresses(LibC.AF_INET, index).isEmpty());
        NetlinkException gone = assertThrows(NetlinkException.class, () -> inA.deleteAddress(index, ip("10.200.0.1"), 24));
        assertEquals(Errno.EADDRNOTAVAIL, gone.errno());
    }

    @Test
    void routesAddReplaceListDelete() throws Exception {
        int index = vethAcrossNamespaces().index();
        inA.addAddress(index, ip("10.200.0.1"), 24);
        inA.addAddress(index, ip("fd00:200::1"), 64);

        Route viaGateway = Route.to(ip("10.201.0.0"), 16).via(ip("10.200.0.2")).device(index).withProtocol(RouteProtocol.JUTE);
        Route onLinkScope = Route.to(ip("10.202.0.0"), 24).device(index).withScope(RouteScope.LINK).withProtocol(RouteProtocol.JUTE);
        Route onLinkGateway = Route.to(ip("10.203.0.0"), 24).via(ip("192.0.2.1")).device(index).withOnLink(true)
                .withProtocol(RouteProtocol.JUTE);
        Route v6 = Route.to(ip("fd00:201::"), 64).via(ip("fd00:200::2")).device(index).withProtocol(RouteProtocol.JUTE);
        Route otherTable = Route.to(ip("10.204.0.0"), 24).device(index).withScope(RouteScope.LINK).withTable(1000)
                .withProtocol(RouteProtocol.JUTE);
        for (Route route : List.of(viaGateway, onLinkScope, onLinkGateway, v6, otherTable)) {
            inA.addRoute(route);
        }

        List<Route> routes = inA.routes(LibC.AF_UNSPEC);
        assertTrue(routes.contains(viaGateway), routes.toString());
        assertTrue(routes.contains(onLinkScope), routes.toString());
        assertTrue(routes.contains(onLinkGateway), routes.toString());
        assertTrue(routes.contains(otherTable), routes.toString());
        Route v6Listed = routes.stream().filter(r -> r.destination().equals(v6.destination())).findFirst().orElseThrow();
        assertEquals(v6.withPriority(1024), v6Listed, "the kernel gives IPv6 routes metric 1024");

        // Filtered on protocol 74, so ip leaves the protocol out of each entry.
        String ipJson = RootNamespaces.run("ip", "-j", "-n", nameA, "route", "show", "proto", "74");
        assertTrue(ipJson.contains("\"dst\":\"10.201.0.0/16\",\"gateway\":\"10.200.0.2\",\"dev\":\"va\""), ipJson);
        assertTrue(ipJson.contains("\"dst\":\"10.202.0.0/24\",\"dev\":\"va\",\"scope\":\"link\""), ipJson);
        assertTrue(ipJson.contains("\"dst\":\"10.203.0.0/24\",\"gateway\":\"192.0.2.1\",\"dev\":\"va\",\"flags\":[\"onlink\"]"), ipJson);
        String ip6Json = RootNamespaces.run("ip", "-j", "-6", "-n", nameA, "route", "show", "proto", "74");
        assertTrue(ip6Json.contains("\"dst\":\"fd00:201::/64\",\"gateway\":\"fd00:200::2\""), ip6Json);
        assertTrue(RootNamespaces.run("ip", "-j", "-n", nameA, "route", "show", "table", "1000").contains("10.204.0.0/24"));

        NetlinkException duplicate = assertThrows(NetlinkException.class, () -> inA.addRoute(viaGateway));
        assertEquals(Errno.EEXIST, duplicate.errno());

        Route replaced = Route.to(ip("10.201.0.0"), 16).via(ip("10.200.0.3")).device(index).withProtocol(RouteProtocol.JUTE);
        inA.replaceRoute(replaced);
        routes = inA.routes(LibC.AF_INET);
        assertTrue(routes.contains(replaced));
        assertFalse(routes.contains(viaGateway));

        // A delete that names another protocol must not touch Jute's route.
        assertFalse(inA.deleteRouteIfExists(replaced.withProtocol(RouteProtocol.BOOT)));
        // Scope is not part of the match: a delete built without it still finds the link-scope route.
        assertTrue(inA.deleteRouteIfExists(Route.to(ip("10.202.0.0"), 24).device(index).withProtocol(RouteProtocol.JUTE)));
        inA.deleteRoute(replaced);
        inA.deleteRoute(v6);
        assertFalse(inA.deleteRouteIfExists(replaced));
        routes = inA.routes(LibC.AF_UNSPEC);
        assertFalse(routes.stream().anyMatch(r -> r.destination().equals(replaced.destination())));
        assertFalse(routes.stream().anyMatch(r -> r.destination().equals(v6.destination())));
        assertFalse(RootNamespaces.run("ip", "-n", nameA, "route", "show").contains("10.201.0.0"));
    }

    @Test
    void permanentNeighbours() throws Exception {
        int index = vethAcrossNamespaces().index();
        MacAddress mac = MacAddress.parse("02:00:00:00:00:09");
        inA.addPermanentNeighbour(index, ip("10.200.0.9"), mac);
        inA.addPermanentNeighbour(index, ip("fe80::9"), mac);
        inA.addPermanentNeighbour(index, ip("10.200.0.9"), mac); // replace semantics: idempotent

        List<Neighbour> neighbours = inA.neighbours(LibC.AF_UNSPEC);
        assertTrue(neighbours.contains(new Neighbour(index, ip("10.200.0.9"), mac, Neighbour.PERMANENT)), neighbours.toString());
        assertTrue(neighbours.contains(new Neighbour(index, ip("fe80::9"), mac, Neighbour.PERMANENT)), neighbours.toString());
        String ipJson = RootNamespaces.run("ip", "-j", "-n", nameA, "neigh", "show", "dev", "va");
        assertTrue(ipJson.contains("\"dst\":\"10.200.0.9\",\"lladdr\":\"02:00:00:00:00:09\",\"state\":[\"PERMANENT\"]"), ipJson);
        assertTrue(ipJson.contains("\"dst\":\"fe80::9\",\"lladdr\":\"02:00:00:00:00:09\",\"state\":[\"PERMANENT\"]"), ipJson);
    }

    @Test
    void callSwitchesOnlyThisThreadAndComesBack() throws Exception {
        Path self = Path.of("/proc/thread-self/ns/net");
        String before = Files.readSymbolicLink(self).toString();
        String inside = a.call(() -> Files.readSymbolicLink(self).toString());
        String expected = RootNamespaces.run("ip", "netns", "exec", nameA, "readlink", "/proc/self/ns/net").strip();
        assertEquals(expected, inside);
        assertNotEquals(before, inside);
        assertEquals(before, Files.readSymbolicLink(self).toString());

        RuntimeException failure = assertThrows(RuntimeException.class, () -> a.call(() -> {
            throw new RuntimeException("body failed");
        }));
        assertEquals("body failed", failure.getMessage());
        assertEquals(before, Files.readSymbolicLink(self).toString(), "back home after a failing body");

        // A socket opened in a namespace stays there when used from another thread, virtual ones included.
        Thread.ofVirtual().start(() -> assertTrue(inA.link("lo").isPresent())).join();
        try (NetlinkSocket fromVirtual = openFromVirtualThread(b)) {
            assertTrue(new RouteNetlink(fromVirtual).links().stream().noneMatch(l -> l.name().equals("va")));
        }
    }

    private static NetlinkSocket openFromVirtualThread(NetNamespace namespace) throws Exception {
        var result = new java.util.concurrent.atomic.AtomicReference<NetlinkSocket>();
        Thread.ofVirtual().start(() -> result.set(NetlinkSocket.openIn(namespace))).join();
        return result.get();
    }

    @Test
    void sysctlActsOnTheNamespaceOfTheCallingThread() throws Exception {
        vethAcrossNamespaces();
        a.call(() -> {
            Sysctl.setIpv4Forwarding("va", true);
            Sysctl.setIpv6Forwarding("va", true);
            return null;
        });
        assertTrue(a.call(() -> Sysctl.ipv4Forwarding("va") && Sysctl.ipv6Forwarding("va")));
        assertEquals("1", RootNamespaces.run("ip", "netns", "exec", nameA, "cat", "/proc/sys/net/ipv4/conf/va/forwarding").strip());
        assertEquals("0", RootNamespaces.run("ip", "netns", "exec", nameA, "cat", "/proc/sys/net/ipv4/conf/all/forwarding").strip());
        // From this thread (root namespace) the interface does not exist.
        assertThrows(IllegalArgumentException.class, () -> Sysctl.ipv4Forwarding("va"));
    }
}
