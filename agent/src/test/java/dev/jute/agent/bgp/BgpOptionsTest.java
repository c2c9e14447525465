package dev.jute.agent.bgp;

import dev.jute.bgp.PeerConfig;
import dev.jute.bgp.Prefix;
import dev.jute.bgp.rib.RouteAttributes;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

class BgpOptionsTest {

    private static BgpOptions parse(String... args) {
        BgpOptions.Parser parser = new BgpOptions.Parser();
        List<String> list = List.of(args);
        for (int i = 0; i < list.size(); ) {
            int used = parser.accept(list, i);
            assertTrue(used > 0, "not a BGP option: " + list.get(i));
            i += used;
        }
        return parser.build();
    }

    @Test
    void defaultsAreTheDocumentedOnes() {
        BgpOptions o = BgpOptions.defaults();
        assertEquals(64512, o.localAs());
        assertTrue(o.mesh());
        assertEquals(Duration.ofSeconds(120), o.gracefulRestart());
        assertEquals(179, o.port());
        assertEquals(Path.of("/run/jute/admin.sock"), o.adminSocket(Path.of("/run/jute/cni.sock")));
        assertTrue(o.announceLoadBalancers(), "LoadBalancer addresses are announced by default when BGP is on");
        assertFalse(parse("--no-bgp-lb-announce").announceLoadBalancers());
        assertFalse(parse("--no-bgp-lb-announce").withNodeIps(List.of(InetAddress.ofLiteral("10.0.0.1"))).announceLoadBalancers(),
                "the flag survives the node addresses filled in from the Node");
    }

    @Test
    void parsesEveryOption() throws Exception {
        BgpOptions o = parse("--node-ip", "172.31.0.1", "--node-ip", "fd00::1", "--bgp-as", "65000.1",
                "--bgp-mesh-peer", "172.31.0.2", "--bgp-mesh-peer", "172.31.0.3", "--no-bgp-mesh",
                "--bgp-peer", "172.31.0.254,65001,password=s3cret,multihop=2", "--bgp-graceful-restart-time", "30",
                "--bgp-hold-time", "9", "--bgp-port", "1179", "--admin-socket", "/tmp/a.sock", "--bgp-router-id", "1.2.3.4");
        assertEquals(65000L * 65536 + 1, o.localAs());
        assertEquals(InetAddress.getByName("172.31.0.1"), o.nodeIpv4().orElseThrow());
        assertEquals(InetAddress.getByName("fd00::1"), o.nodeIpv6().orElseThrow());
        assertEquals(2, o.meshPeers().size());
        assertFalse(o.mesh());
        ExternalPeer peer = o.externalPeers().getFirst();
        assertEquals(65001, peer.as());
        assertEquals("s3cret", peer.password());
        assertEquals(2, peer.multihop());
        assertEquals(Duration.ofSeconds(30), o.gracefulRestart());
        assertEquals(1179, o.port());
        assertEquals(Path.of("/tmp/a.sock"), o.adminSocket(Path.of("/x/cni.sock")));
        assertEquals(InetAddress.getByName("1.2.3.4"), o.routerId());
    }

    @Test
    void unknownOptionsAreLeftToTheAgent() {
        assertEquals(0, new BgpOptions.Parser().accept(List.of("--pod-cidr", "10.0.0.0/24"), 0));
    }

    @Test
    void badValuesAreClearErrors() {
        assertThrows(IllegalArgumentException.class, () -> parse("--bgp-as", "0"));
        assertThrows(IllegalArgumentException.class, () -> parse("--bgp-as", "4294967296"));
        assertThrows(IllegalArgumentException.class, () -> parse("--node-ip", "node1.example"));
        assertThrows(IllegalArgumentException.class, () -> parse("--node-ip", "10.0.0.1", "--node-ip", "10.0.0.2"));
        assertThrows(IllegalArgumentException.class, () -> parse("--bgp-router-id", "fd00::1"));
        assertThrows(IllegalArgumentException.class, () -> parse("--bgp-hold-time", "2"));
        assertThrows(IllegalArgumentException.class, () -> parse("--bgp-mesh-peer"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> parse("--bgp-peer", "10.0.0.1"));
        assertTrue(e.getMessage().contains(ExternalPeer.SYNTAX), e.getMessage());
    }

    @Test
    void externalPeerSyntax() throws Exception {
        ExternalPeer p = ExternalPeer.parse("fd00::9,64512,rr-client,port=1790,passive");
        assertEquals(InetAddress.getByName("fd00::9"), p.address());
        assertTrue(p.routeReflectorClient());
        assertTrue(p.passive());
        assertEquals(1790, p.port());
        PeerConfig config = p.toPeerConfig(64512);
        assertTrue(config.routeReflectorClient());
        assertEquals(1790, config.port());
        // A route-reflector client must be internal.
        assertThrows(IllegalArgumentException.class, () -> p.toPeerConfig(65000));
        assertThrows(IllegalArgumentException.class, () -> ExternalPeer.parse("10.0.0.1,65001,colour=blue"));
        assertThrows(IllegalArgumentException.class, () -> ExternalPeer.parse("10.0.0.1,65001,password="));
        assertThrows(IllegalArgumentException.class, () -> ExternalPeer.parse("10.0.0.1,65001,multihop=0"));
        assertThrows(IllegalArgumentException.class, () -> ExternalPeer.parse("10.0.0.1,65001,rr-client=yes"));
        assertThrows(IllegalArgumentException.class, () -> ExternalPeer.parse("10.0.0.1,AS1"));
    }

    @Test
    void nodesExportOnlyTheirOwnPrefixesExceptToRouteReflectorClients() throws Exception {
        Prefix own = Prefix.parse("10.244.1.0/24");
        OwnRoutesExportPolicy policy = new OwnRoutesExportPolicy(Set.of(own), Set.of());
        RouteAttributes a = RouteAttributes.local(null);
        PeerConfig router = PeerConfig.builder(InetAddress.getByName("10.0.0.1"), 65001).build();
        PeerConfig client = PeerConfig.builder(InetAddress.getByName("10.0.0.2"), 64512).routeReflectorClient(true).build();
        assertSame(a, policy.export(router, own, a));
        assertNull(policy.export(router, Prefix.parse("192.168.0.0/16"), a));
        assertSame(a, policy.export(client, Prefix.parse("192.168.0.0/16"), a));
    }

    @Test
    void loadBalancerRoutesGoToExternalPeersOnlyNeverToTheMesh() throws Exception {
        Prefix podCidr = Prefix.parse("10.244.1.0/24");
        Prefix lb4 = Prefix.parse("172.18.255.7/32");
        Prefix lb6 = Prefix.parse("fd00:ff::7/128");
        InetAddress torAddress = InetAddress.ofLiteral("10.0.0.1");
        InetAddress reflectorAddress = InetAddress.ofLiteral("10.0.0.2");
        OwnRoutesExportPolicy policy = new OwnRoutesExportPolicy(Set.of(podCidr), Set.of(torAddress, reflectorAddress));
        RouteAttributes a = RouteAttributes.local(null);
        PeerConfig tor = PeerConfig.builder(torAddress, 65001).build();
        PeerConfig reflector = PeerConfig.builder(reflectorAddress, 64512).build();
        PeerConfig meshNode = PeerConfig.builder(InetAddress.ofLiteral("10.0.0.3"), 64512).build();

        assertNull(policy.export(tor, lb4, a), "not a LoadBalancer route yet: not ours to export");
        policy.setLoadBalancerRoutes(Set.of(lb4, lb6));
        assertSame(a, policy.export(tor, lb4, a));
        assertSame(a, policy.export(tor, lb6, a));
        assertSame(a, policy.export(reflector, lb4, a), "an iBGP router configured with --bgp-peer is external to the mesh");
        assertNull(policy.export(meshNode, lb4, a), "mesh nodes translate LoadBalancer traffic themselves");
        assertSame(a, policy.export(meshNode, podCidr, a));
        assertEquals(Set.of(lb4, lb6), policy.loadBalancerRoutes());

        policy.setLoadBalancerRoutes(Set.of(lb6));
        assertNull(policy.export(tor, lb4, a), "a withdrawn LoadBalancer address is no longer exported");
        assertSame(a, policy.export(tor, lb6, a));
    }

    @Test
    void routesTableNamesLoadBalancerRoutes() {
        Map<String, Object> answer = Map.of("installed", 0, "settled", true, "routes", List.of(
                Map.of("prefix", "10.2.0.0/24", "nextHop", "self", "asPath", "", "from", "local", "origin", "pod-cidr", "best", true),
                Map.of("prefix", "172.18.255.7/32", "nextHop", "self", "asPath", "", "from", "local", "origin", "loadbalancer",
                        "best", true)));
        String table = BgpStatusReport.renderRoutes(answer);
        assertTrue(table.lines().anyMatch(l -> l.contains("172.18.255.7/32") && l.contains("local (LoadBalancer, external peers)")), table);
        assertTrue(table.lines().anyMatch(l -> l.contains("10.2.0.0/24") && l.contains("local") && !l.contains("LoadBalancer")), table);
    }

    @Test
    void prefixMatchingAndRendering() {
        assertTrue(NextHopResolver.samePrefix(new byte[] {10, 1, 2, 3}, new byte[] {10, 1, 2, (byte) 200}, 24));
        assertFalse(NextHopResolver.samePrefix(new byte[] {10, 1, 2, 3}, new byte[] {10, 1, 3, 3}, 24));
        assertTrue(NextHopResolver.samePrefix(new byte[] {10, 1, 2, 3}, new byte[] {10, 1, 3, 3}, 23));
        assertFalse(NextHopResolver.samePrefix(new byte[] {10, 1, 4, 3}, new byte[] {10, 1, 3, 3}, 23));
        assertEquals("00:01:05", BgpStatusReport.duration(65));
        assertEquals("2d3h", BgpStatusReport.duration(2 * 86400 + 3 * 3600 + 5));
        Map<String, Object> answer = Map.of("installed", 1, "settled", true, "routes", List.of(
                Map.of("prefix", "10.1.0.0/24", "nextHop", "172.31.0.2", "asPath", "65001", "from", "172.31.0.2",
                        "best", true, "kernel", "via 172.31.0.2 dev #2"),
                Map.of("prefix", "10.2.0.0/24", "nextHop", "self", "asPath", "", "from", "local", "best", true)));
        String table = BgpStatusReport.renderRoutes(answer);
        assertTrue(table.contains("*K  10.1.0.0/24"), table);
        assertTrue(table.contains("10.2.0.0/24"), table);
        String filtered = BgpStatusReport.renderRoutes(BgpStatusReport.filter(answer, Prefix.parse("10.2.0.0/16")));
        assertFalse(filtered.contains("10.1.0.0/24"), filtered);
        assertTrue(filtered.contains("10.2.0.0/24"), filtered);
    }
}
