package dev.jute.bgp.rib;

import dev.jute.bgp.NextHop;
import dev.jute.bgp.PeerConfig;
import dev.jute.bgp.Prefix;
import dev.jute.bgp.message.AsPath;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class ExportRulesTest {
    static final long LOCAL_AS = 64512;
    static final long CLUSTER = 0x0A000001L;
    final ExportRules rules = new ExportRules(LOCAL_AS, CLUSTER);
    final Prefix prefix = Prefix.parse("10.9.0.0/24");

    static InetAddress ip(String s) throws Exception {
        return InetAddress.getByName(s);
    }

    static ExportTarget target(String address, long as, boolean rrClient) throws Exception {
        PeerConfig config = PeerConfig.builder(ip(address), as).routeReflectorClient(rrClient).build();
        return new ExportTarget(config, new RouteSource(ip(address), as, 99, as == LOCAL_AS, rrClient), as == LOCAL_AS,
                NextHop.of(ip("10.0.0.1")), NextHop.of(ip("2001:db8::1")));
    }

    static RouteSource from(String address, long as, boolean rrClient) throws Exception {
        return new RouteSource(ip(address), as, 0x0B000001L, as == LOCAL_AS, rrClient);
    }

    static RouteAttributes learned(long... path) throws Exception {
        return RouteAttributes.local(NextHop.of(ip("192.0.2.7"))).withAsPath(AsPath.sequence(path)).withMed(5);
    }

    @Test
    void neverBackToTheSourcePeer() throws Exception {
        ExportTarget t = target("10.0.0.2", 65001, false);
        assertNull(rules.export(prefix, new Path(t.source(), learned(65001)), t));
    }

    @Test
    void ibgpLearnedRoutesAreNotSentToIbgpPeersWithoutReflection() throws Exception {
        Path p = new Path(from("10.0.0.3", LOCAL_AS, false), learned(65001).withLocalPref(150));
        assertNull(rules.export(prefix, p, target("10.0.0.2", LOCAL_AS, false)));
        // ...but they do go to eBGP peers.
        assertNotNull(rules.export(prefix, p, target("10.0.0.4", 65009, false)));
    }

    @Test
    void reflectionFromClientToNonClientAndFromNonClientToClient() throws Exception {
        Path fromClient = new Path(from("10.0.0.3", LOCAL_AS, true), learned(65001));
        RouteAttributes out = rules.export(prefix, fromClient, target("10.0.0.2", LOCAL_AS, false));
        assertNotNull(out);
        assertEquals(0x0B000001L, out.originatorId());
        assertEquals(List.of((int) CLUSTER), out.clusterList());
        assertEquals(ip("192.0.2.7"), out.nextHop().address(), "iBGP keeps the next hop");
        assertEquals(100, out.localPref());

        Path fromNonClient = new Path(from("10.0.0.2", LOCAL_AS, false),
                learned(65001).withReflection(0x0C000001L, List.of(0x0D000001)));
        RouteAttributes toClient = rules.export(prefix, fromNonClient, target("10.0.0.3", LOCAL_AS, true));
        assertEquals(0x0C000001L, toClient.originatorId(), "existing ORIGINATOR_ID is kept");
        assertEquals(List.of((int) CLUSTER, 0x0D000001), toClient.clusterList(), "our cluster id is prepended");
    }

    @Test
    void ebgpGetsPrependNextHopSelfAndNoLocalPrefOrReflectionAttributes() throws Exception {
        Path p = new Path(from("10.0.0.3", LOCAL_AS, true), learned(65001).withLocalPref(300)
                .withReflection(5, List.of(1)));
        ExportTarget t = target("10.0.0.9", 65009, false);
        RouteAttributes out = rules.export(prefix, p, t);
        assertEquals(AsPath.sequence(LOCAL_AS, 65001), out.asPath());
        assertEquals(ip("10.0.0.1"), out.nextHop().address());
        assertEquals(-1, out.localPref());
        assertEquals(-1, out.med(), "a neighbour's MED is not passed to another AS");
        assertEquals(-1, out.originatorId());
        assertEquals(List.of(), out.clusterList());
    }

    @Test
    void ebgpExtraPrependAndOwnMedKept() throws Exception {
        PeerConfig config = PeerConfig.builder(ip("10.0.0.9"), 65009).extraPrepends(2).build();
        ExportTarget t = new ExportTarget(config, new RouteSource(ip("10.0.0.9"), 65009, 9, false, false), false,
                NextHop.of(ip("10.0.0.1")), null);
        RouteAttributes out = rules.export(prefix, new Path(RouteSource.LOCAL, RouteAttributes.local(null).withMed(7)), t);
        assertEquals(AsPath.sequence(LOCAL_AS, LOCAL_AS, LOCAL_AS), out.asPath());
        assertEquals(7, out.med());
    }

    @Test
    void localRouteToIbgpUsesGivenNextHopOrSelf() throws Exception {
        ExportTarget t = target("10.0.0.2", LOCAL_AS, false);
        RouteAttributes self = rules.export(prefix, new Path(RouteSource.LOCAL, RouteAttributes.local(null)), t);
        assertEquals(ip("10.0.0.1"), self.nextHop().address());
        assertEquals(AsPath.EMPTY, self.asPath());
        RouteAttributes given = rules.export(prefix,
                new Path(RouteSource.LOCAL, RouteAttributes.local(NextHop.of(ip("10.0.0.50")))), t);
        assertEquals(ip("10.0.0.50"), given.nextHop().address());
    }

    @Test
    void wellKnownCommunitiesAndPeerAsLoop() throws Exception {
        Path noExport = new Path(RouteSource.LOCAL, RouteAttributes.local(null).withCommunities(List.of(RouteAttributes.NO_EXPORT)));
        assertNull(rules.export(prefix, noExport, target("10.0.0.9", 65009, false)));
        assertNotNull(rules.export(prefix, noExport, target("10.0.0.2", LOCAL_AS, false)));
        Path noAdvertise = new Path(RouteSource.LOCAL, RouteAttributes.local(null).withCommunities(List.of(RouteAttributes.NO_ADVERTISE)));
        assertNull(rules.export(prefix, noAdvertise, target("10.0.0.2", LOCAL_AS, false)));
        Path viaPeerAs = new Path(from("10.0.0.4", 65001, false), learned(65001, 65009));
        assertNull(rules.export(prefix, viaPeerAs, target("10.0.0.9", 65009, false)));
    }

    @Test
    void linkLocalNextHopIsNotPassedToIbgpPeers() throws Exception {
        RouteAttributes a = RouteAttributes.local(new NextHop(ip("2001:db8::7"), ip("fe80::7"))).withAsPath(AsPath.sequence(65001));
        RouteAttributes out = rules.export(Prefix.parse("2001:db8:9::/48"), new Path(from("10.0.0.4", 65001, false), a),
                target("10.0.0.2", LOCAL_AS, false));
        assertEquals(NextHop.of(ip("2001:db8::7")), out.nextHop());
    }
}
