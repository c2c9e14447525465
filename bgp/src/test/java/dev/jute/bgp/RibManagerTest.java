package dev.jute.bgp;

import dev.jute.bgp.fsm.FakeConnection;
import dev.jute.bgp.fsm.ManualTimers;
import dev.jute.bgp.fsm.PeerFsm;
import dev.jute.bgp.fsm.SpeakerSettings;
import dev.jute.bgp.message.AsPath;
import dev.jute.bgp.message.Capability;
import dev.jute.bgp.message.KeepaliveMessage;
import dev.jute.bgp.message.OpenMessage;
import dev.jute.bgp.message.PathAttribute;
import dev.jute.bgp.message.RouteRefreshMessage;
import dev.jute.bgp.message.UpdateMessage;
import dev.jute.bgp.rib.RouteAttributes;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The RIB side of the speaker, driven through real FSMs over fake connections and a manual clock. */
class RibManagerTest {
    static final long LOCAL_AS = 64512;
    static final long ROUTER_ID = 0x0A000001L;

    final ManualTimers timers = new ManualTimers();
    final RecordingRouteListener routes = new RecordingRouteListener();
    final SpeakerSettings settings = new SpeakerSettings(LOCAL_AS, ROUTER_ID, 90, Duration.ofSeconds(30),
            Duration.ofSeconds(5), Duration.ofSeconds(120), false, EnumSet.allOf(AddressFamily.class));
    final RibManager rib = new RibManager(settings, ROUTER_ID, ExportPolicy.ACCEPT_ALL, routes, timers, Runnable::run);

    /** One simulated neighbour. */
    final class Neighbour {
        final PeerContext ctx;
        final long as;
        final long routerId;
        final String address;
        final List<FakeConnection> connections = new ArrayList<>();

        Neighbour(String address, long as, long routerId, boolean rrClient) throws Exception {
            this.address = address;
            this.as = as;
            this.routerId = routerId;
            PeerConfig config = PeerConfig.builder(InetAddress.getByName(address), as).routeReflectorClient(rrClient).build();
            ctx = new PeerContext(config);
            ctx.fsm = new PeerFsm(settings, config, timers, fsm -> () -> { }, rib);
            rib.register(ctx);
            ctx.fsm.start();
        }

        FakeConnection connect(Capability... extra) {
            FakeConnection c = new FakeConnection(true, new InetSocketAddress("10.0.0.1", 40000),
                    new InetSocketAddress(address, 179));
            connections.add(c);
            ctx.fsm.outboundConnected(c);
            List<Capability> caps = new ArrayList<>(List.of(new Capability.Multiprotocol(1, 1),
                    new Capability.Multiprotocol(2, 1), new Capability.FourOctetAs(as), new Capability.RouteRefresh()));
            caps.addAll(List.of(extra));
            ctx.fsm.messageReceived(c, OpenMessage.of(as, 90, routerId, caps));
            ctx.fsm.messageReceived(c, KeepaliveMessage.INSTANCE);
            assertTrue(ctx.established());
            return c;
        }

        FakeConnection current() {
            return connections.get(connections.size() - 1);
        }

        void send(UpdateMessage update) {
            ctx.fsm.messageReceived(current(), update);
        }

        List<Prefix> announcedToIt() {
            List<Prefix> out = new ArrayList<>();
            for (UpdateMessage u : current().sentOf(UpdateMessage.class)) {
                out.addAll(u.allAnnounced());
            }
            return out;
        }
    }

    static List<PathAttribute> attrs(String nextHop, long... path) throws Exception {
        byte[] nh = InetAddress.getByName(nextHop).getAddress();
        int v = ((nh[0] & 0xFF) << 24) | ((nh[1] & 0xFF) << 16) | ((nh[2] & 0xFF) << 8) | (nh[3] & 0xFF);
        return List.of(new PathAttribute.Origin(0), new PathAttribute.AsPathAttribute(AsPath.sequence(path)),
                new PathAttribute.NextHop(v));
    }

    static UpdateMessage announce(List<PathAttribute> attrs, String... prefixes) {
        return new UpdateMessage(List.of(), attrs, List.of(prefixes).stream().map(Prefix::parse).toList());
    }

    static final Capability GR_PRESERVED = new Capability.GracefulRestart(0, 60,
            List.of(new Capability.GracefulRestart.Family(1, 1, 0x80)));

    @Test
    void initialUpdatesAreFollowedByEndOfRibPerFamily() throws Exception {
        rib.announce(Prefix.parse("10.244.0.0/24"), RouteAttributes.local(null));
        rib.announce(Prefix.parse("2001:db8:244::/64"), RouteAttributes.local(null));
        Neighbour n = new Neighbour("10.0.0.2", LOCAL_AS, 0x0A000002L, false);
        FakeConnection c = n.connect();
        List<UpdateMessage> updates = c.sentOf(UpdateMessage.class);
        assertEquals(4, updates.size());
        assertEquals(List.of(Prefix.parse("10.244.0.0/24")), updates.get(0).nlri());
        assertEquals(List.of(Prefix.parse("2001:db8:244::/64")), updates.get(1).allAnnounced());
        assertEquals(AddressFamily.IPV4, updates.get(2).endOfRibFamily());
        assertEquals(AddressFamily.IPV6, updates.get(3).endOfRibFamily());
        // IPv6 over an IPv4 session without a configured IPv6 next hop: IPv4-mapped.
        assertArrayEquals(new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff, 10, 0, 0, 1},
                updates.get(1).attribute(PathAttribute.MpReach.class).nextHop());
    }

    @Test
    void heldEndOfRibFollowsTheOwnRoutesAnnouncedBeforeTheRelease() throws Exception {
        rib.holdEndOfRib(Duration.ofSeconds(10));
        rib.announce(Prefix.parse("10.244.0.0/24"), RouteAttributes.local(null));
        Neighbour n = new Neighbour("10.0.0.2", LOCAL_AS, 0x0A000002L, false);
        FakeConnection c = n.connect();
        assertTrue(c.sentOf(UpdateMessage.class).stream().noneMatch(u -> u.endOfRibFamily() != null),
                "no End-of-RIB while own routes are still to come");
        rib.announce(Prefix.parse("172.18.255.1/32"), RouteAttributes.local(null)); // e.g. a LoadBalancer address
        rib.releaseEndOfRib();
        rib.releaseEndOfRib(); // idempotent
        List<UpdateMessage> updates = c.sentOf(UpdateMessage.class);
        List<AddressFamily> markers = updates.stream().map(UpdateMessage::endOfRibFamily).filter(f -> f != null).toList();
        assertEquals(List.of(AddressFamily.IPV4, AddressFamily.IPV6), markers, "one End-of-RIB per family, once");
        int firstMarker = updates.indexOf(updates.stream().filter(u -> u.endOfRibFamily() != null).findFirst().orElseThrow());
        List<Prefix> before = updates.subList(0, firstMarker).stream().flatMap(u -> u.allAnnounced().stream()).toList();
        assertTrue(before.containsAll(List.of(Prefix.parse("10.244.0.0/24"), Prefix.parse("172.18.255.1/32"))),
                "both own routes precede End-of-RIB: " + before);
        // A session that comes up after the release gets its End-of-RIB at once again.
        Neighbour late = new Neighbour("10.0.0.3", LOCAL_AS, 0x0A000003L, false);
        assertEquals(2, late.connect().sentOf(UpdateMessage.class).stream().filter(u -> u.endOfRibFamily() != null).count());
    }

    @Test
    void heldEndOfRibIsSentWhenTheLimitPasses() throws Exception {
        rib.holdEndOfRib(Duration.ofSeconds(10));
        Neighbour n = new Neighbour("10.0.0.2", LOCAL_AS, 0x0A000002L, false);
        FakeConnection c = n.connect();
        timers.advance(Duration.ofMillis(9_999));
        assertTrue(c.sentOf(UpdateMessage.class).stream().noneMatch(u -> u.endOfRibFamily() != null));
        timers.advance(Duration.ofMillis(1));
        assertEquals(2, c.sentOf(UpdateMessage.class).stream().filter(u -> u.endOfRibFamily() != null).count());
    }

    @Test
    void routeRefreshResendsEverything() throws Exception {
        rib.announce(Prefix.parse("10.244.0.0/24"), RouteAttributes.local(null));
        Neighbour n = new Neighbour("10.0.0.2", LOCAL_AS, 0x0A000002L, false);
        FakeConnection c = n.connect();
        int before = c.sentOf(UpdateMessage.class).size();
        n.ctx.fsm.messageReceived(c, new RouteRefreshMessage(1, 0, 1));
        List<UpdateMessage> updates = c.sentOf(UpdateMessage.class);
        assertEquals(before + 1, updates.size());
        assertEquals(List.of(Prefix.parse("10.244.0.0/24")), updates.get(updates.size() - 1).nlri());
    }

    @Test
    void learnedRoutesReachTheListenerAndWithdrawalsRemoveThem() throws Exception {
        Neighbour n = new Neighbour("10.0.0.2", 65002, 0x0A000002L, false);
        n.connect();
        n.send(announce(attrs("10.0.0.2", 65002), "10.1.0.0/24", "10.2.0.0/24"));
        assertEquals(2, routes.routes.size());
        Route r = routes.routes.get(Prefix.parse("10.1.0.0/24"));
        assertEquals(InetAddress.getByName("10.0.0.2"), r.nextHop().address());
        assertFalse(r.local());
        n.send(new UpdateMessage(List.of(Prefix.parse("10.1.0.0/24")), List.of(), List.of()));
        assertEquals(1, routes.routes.size());
        assertEquals(1, rib.status(n.ctx).prefixesReceived());
    }

    @Test
    void ownAsInPathOrOwnOriginatorIdIsALoop() throws Exception {
        Neighbour n = new Neighbour("10.0.0.2", 65002, 0x0A000002L, false);
        n.connect();
        n.send(announce(attrs("10.0.0.2", 65002), "10.1.0.0/24"));
        assertEquals(1, routes.routes.size());
        // The same prefix re-announced with our AS in the path replaces (withdraws) the old route.
        n.send(announce(attrs("10.0.0.2", 65002, LOCAL_AS, 65003), "10.1.0.0/24"));
        assertEquals(0, routes.routes.size());

        Neighbour ibgp = new Neighbour("10.0.0.3", LOCAL_AS, 0x0A000003L, false);
        ibgp.connect();
        List<PathAttribute> reflectedBack = new ArrayList<>(attrs("10.0.0.3", 65005));
        reflectedBack.add(new PathAttribute.OriginatorId(PathAttribute.OPTIONAL_NON_TRANSITIVE, (int) ROUTER_ID));
        ibgp.send(announce(reflectedBack, "10.5.0.0/24"));
        List<PathAttribute> ownCluster = new ArrayList<>(attrs("10.0.0.3", 65005));
        ownCluster.add(new PathAttribute.ClusterList(PathAttribute.OPTIONAL_NON_TRANSITIVE, new int[] {7, (int) ROUTER_ID}));
        ibgp.send(announce(ownCluster, "10.6.0.0/24"));
        assertEquals(0, routes.routes.size());
    }

    @Test
    void localPrefFromExternalPeerIsDiscarded() throws Exception {
        Neighbour n = new Neighbour("10.0.0.2", 65002, 0x0A000002L, false);
        n.connect();
        List<PathAttribute> a = new ArrayList<>(attrs("10.0.0.2", 65002));
        a.add(new PathAttribute.LocalPref(5000));
        n.send(announce(a, "10.1.0.0/24"));
        assertEquals(-1, routes.routes.get(Prefix.parse("10.1.0.0/24")).attributes().localPref());
    }

    @Test
    void treatAsWithdrawRemovesPreviouslyLearnedRoutes() throws Exception {
        Neighbour n = new Neighbour("10.0.0.2", 65002, 0x0A000002L, false);
        n.connect();
        n.send(announce(attrs("10.0.0.2", 65002), "10.1.0.0/24"));
        n.send(new UpdateMessage(List.of(), attrs("10.0.0.2", 65002), List.of(Prefix.parse("10.1.0.0/24")),
                List.of(new UpdateMessage.AttributeError(UpdateMessage.AttributeError.Action.TREAT_AS_WITHDRAW, 1, "bad"))));
        assertEquals(0, routes.routes.size());
        assertTrue(n.ctx.fsm.state() == dev.jute.bgp.fsm.SessionState.ESTABLISHED, "no session reset");
        assertEquals("TREAT_AS_WITHDRAW: bad", rib.status(n.ctx).lastError());
        assertEquals(1, rib.status(n.ctx).malformedAttributes());
    }

    @Test
    void ibgpRoutesAreReflectedOnlyToAndFromClients() throws Exception {
        Neighbour client = new Neighbour("10.0.0.2", LOCAL_AS, 0x0A000002L, true);
        Neighbour nonClientA = new Neighbour("10.0.0.3", LOCAL_AS, 0x0A000003L, false);
        Neighbour nonClientB = new Neighbour("10.0.0.4", LOCAL_AS, 0x0A000004L, false);
        client.connect();
        nonClientA.connect();
        nonClientB.connect();
        nonClientA.send(announce(attrs("10.0.0.3"), "10.3.0.0/24"));
        assertTrue(client.announcedToIt().contains(Prefix.parse("10.3.0.0/24")), "non-client -> client");
        assertFalse(nonClientB.announcedToIt().contains(Prefix.parse("10.3.0.0/24")), "non-client -> non-client");
        client.send(announce(attrs("10.0.0.2"), "10.2.0.0/24"));
        assertTrue(nonClientB.announcedToIt().contains(Prefix.parse("10.2.0.0/24")), "client -> non-client");
        UpdateMessage reflected = nonClientB.current().sentOf(UpdateMessage.class).stream()
                .filter(u -> u.nlri().contains(Prefix.parse("10.2.0.0/24"))).findFirst().orElseThrow();
        assertEquals(0x0A000002, reflected.attribute(PathAttribute.OriginatorId.class).originatorId());
        assertArrayEquals(new int[] {(int) ROUTER_ID}, reflected.attribute(PathAttribute.ClusterList.class).clusterIds());
        assertEquals(0x0A000002, reflected.attribute(PathAttribute.NextHop.class).address(), "next hop unchanged");
    }

    @Test
    void unknownTransitiveAttributesArePassedOnWithPartialBitAndNonTransitiveOnesDropped() throws Exception {
        Neighbour in = new Neighbour("10.0.0.2", 65002, 0x0A000002L, false);
        Neighbour out = new Neighbour("10.0.0.9", 65009, 0x0A000009L, false);
        in.connect();
        out.connect();
        List<PathAttribute> a = new ArrayList<>(attrs("10.0.0.2", 65002));
        PathAttribute.Unknown largeCommunity = new PathAttribute.Unknown(PathAttribute.OPTIONAL_TRANSITIVE, 32,
                new byte[] {0, 0, (byte) 0xfd, (byte) 0xea, 0, 0, 0, 1, 0, 0, 0, 2});
        a.add(largeCommunity);
        a.add(new PathAttribute.Unknown(PathAttribute.OPTIONAL_NON_TRANSITIVE, 26, new byte[] {1, 0, 11, 0, 0, 0, 0, 0, 0, 0, 10}));
        in.send(announce(a, "10.1.0.0/24"));
        UpdateMessage sent = out.current().sentOf(UpdateMessage.class).stream()
                .filter(u -> u.nlri().contains(Prefix.parse("10.1.0.0/24"))).findFirst().orElseThrow();
        List<PathAttribute.Unknown> unknown = sent.attributes().stream()
                .filter(x -> x instanceof PathAttribute.Unknown).map(x -> (PathAttribute.Unknown) x).toList();
        assertEquals(List.of(new PathAttribute.Unknown(PathAttribute.OPTIONAL_TRANSITIVE | PathAttribute.FLAG_PARTIAL, 32,
                largeCommunity.value())), unknown);
        assertEquals(AsPath.sequence(LOCAL_AS, 65002), sent.attribute(PathAttribute.AsPathAttribute.class).path());
    }

    @Test
    void gracefulRestartKeepsStaleRoutesUntilEndOfRib() throws Exception {
        Neighbour n = new Neighbour("10.0.0.2", LOCAL_AS, 0x0A000002L, false);
        n.connect(GR_PRESERVED);
        n.send(announce(attrs("10.0.0.2"), "10.1.0.0/24", "10.2.0.0/24"));
        n.ctx.fsm.connectionClosed(n.current());
        assertEquals(2, routes.routes.size(), "routes kept while the peer restarts");
        assertEquals(2, rib.status(n.ctx).prefixesStale());
        timers.advance(Duration.ofSeconds(5)); // idle hold, reconnect
        n.connect(GR_PRESERVED);
        assertEquals(2, routes.routes.size());
        List<PathAttribute> changed = new ArrayList<>(attrs("10.0.0.2"));
        changed.add(new PathAttribute.MultiExitDisc(7));
        n.send(announce(changed, "10.1.0.0/24"));
        assertEquals(1, routes.changed.get());
        assertEquals(1, rib.status(n.ctx).prefixesStale());
        n.send(UpdateMessage.endOfRib(AddressFamily.IPV4));
        assertEquals(List.of(Prefix.parse("10.1.0.0/24")), List.copyOf(routes.routes.keySet()));
        assertEquals(0, rib.status(n.ctx).prefixesStale());
    }

    @Test
    void staleRoutesAreFlushedWhenTheRestartTimeExpires() throws Exception {
        Neighbour n = new Neighbour("10.0.0.2", LOCAL_AS, 0x0A000002L, false);
        n.connect(GR_PRESERVED);
        n.send(announce(attrs("10.0.0.2"), "10.1.0.0/24"));
        n.ctx.fsm.stop(2, "test"); // our side stops: Cease, not graceful
        assertEquals(0, routes.routes.size());

        Neighbour m = new Neighbour("10.0.0.3", LOCAL_AS, 0x0A000003L, false);
        m.connect(GR_PRESERVED);
        m.send(announce(attrs("10.0.0.3"), "10.3.0.0/24"));
        m.ctx.fsm.connectionClosed(m.current());
        m.ctx.fsm.stop(2, "keep it down"); // no reconnect
        timers.advance(Duration.ofSeconds(59));
        assertEquals(1, routes.routes.size());
        timers.advance(Duration.ofSeconds(1));
        assertEquals(0, routes.routes.size());
    }

    @Test
    void staleRoutesAreFlushedAtOnceIfThePeerDidNotPreserveForwarding() throws Exception {
        Neighbour n = new Neighbour("10.0.0.2", LOCAL_AS, 0x0A000002L, false);
        n.connect(GR_PRESERVED);
        n.send(announce(attrs("10.0.0.2"), "10.1.0.0/24"));
        n.ctx.fsm.connectionClosed(n.current());
        timers.advance(Duration.ofSeconds(5));
        n.connect(new Capability.GracefulRestart(Capability.GracefulRestart.FLAG_RESTARTING, 60,
                List.of(new Capability.GracefulRestart.Family(1, 1, 0))));
        assertEquals(0, routes.routes.size());
    }
}
