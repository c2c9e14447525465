package dev.jute.bgp;

import dev.jute.bgp.fsm.SessionState;
import dev.jute.bgp.message.AsPath;
import dev.jute.bgp.rib.RouteAttributes;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Two Jute speakers over loopback TCP exchanging IPv4 and IPv6 routes. */
class SpeakerLoopbackTest {
    static final Duration WAIT = Duration.ofSeconds(15);

    static InetAddress ip(String s) throws Exception {
        return InetAddress.getByName(s);
    }

    @Test
    void ibgpSessionExchangesIpv4AndIpv6RoutesAndWithdraws() throws Exception {
        RecordingRouteListener onA = new RecordingRouteListener();
        RecordingRouteListener onB = new RecordingRouteListener();
        try (BgpSpeaker a = BgpSpeaker.builder().localAs(64512).routerId(0x01010101L)
                .listen(ip("127.0.0.1"), 0).routeListener(onA).build().start();
             BgpSpeaker b = BgpSpeaker.builder().localAs(64512).routerId(0x02020202L).routeListener(onB).build().start()) {
            a.addPeer(PeerConfig.builder(ip("127.0.0.2"), 64512).passive(true).build());
            b.addPeer(PeerConfig.builder(ip("127.0.0.1"), 64512).port(a.listenPort()).localAddress(ip("127.0.0.2"))
                    .ipv6NextHop(ip("2001:db8::2")).build());
            RecordingRouteListener.await("established", WAIT, () -> established(a) && established(b));

            Prefix v4 = Prefix.parse("10.244.2.0/24");
            Prefix v6 = Prefix.parse("2001:db8:2::/64");
            b.announce(v4, null, null);
            b.announce(v6, null, null);
            a.announce(Prefix.parse("10.244.1.0/24"), null, null);
            RecordingRouteListener.await("routes on A", WAIT, () -> onA.routes.size() == 3);
            RecordingRouteListener.await("routes on B", WAIT, () -> onB.routes.size() == 3);

            Route r4 = onA.routes.get(v4);
            assertEquals(ip("127.0.0.2"), r4.nextHop().address(), "iBGP next-hop-self for local route");
            assertEquals(ip("127.0.0.2"), r4.peer());
            assertEquals(100, r4.attributes().localPref());
            assertEquals(AsPath.EMPTY, r4.attributes().asPath());
            Route r6 = onA.routes.get(v6);
            assertEquals(ip("2001:db8::2"), r6.nextHop().address());
            assertTrue(onB.routes.get(v4).local());

            PeerStatus status = a.peerStatus().get(0);
            assertEquals(SessionState.ESTABLISHED, status.state());
            assertEquals(2, status.prefixesReceived());
            assertEquals(1, status.prefixesAdvertised());
            assertEquals("2.2.2.2", status.peerRouterId());

            b.withdraw(v6);
            RecordingRouteListener.await("IPv6 withdraw", WAIT, () -> !onA.routes.containsKey(v6));
            b.withdraw(v4);
            RecordingRouteListener.await("IPv4 withdraw", WAIT, () -> !onA.routes.containsKey(v4));
            assertEquals(1, a.routes().size());
        }
    }

    @Test
    void ebgpPrependsLocalAsAndSetsNextHopSelf() throws Exception {
        RecordingRouteListener onA = new RecordingRouteListener();
        try (BgpSpeaker a = BgpSpeaker.builder().localAs(65001).routerId(0x01010101L)
                .listen(ip("127.0.0.1"), 0).routeListener(onA).build().start();
             BgpSpeaker b = BgpSpeaker.builder().localAs(4200000002L).routerId(0x02020202L).build().start()) {
            a.addPeer(PeerConfig.builder(ip("127.0.0.3"), 4200000002L).passive(true).build());
            b.addPeer(PeerConfig.builder(ip("127.0.0.1"), 65001).port(a.listenPort()).localAddress(ip("127.0.0.3"))
                    .extraPrepends(1).build());
            RecordingRouteListener.await("established", WAIT, () -> established(a) && established(b));
            RouteAttributes attrs = RouteAttributes.local(null).withMed(50).withCommunities(List.of(0xFDE80001));
            b.announce(Prefix.parse("192.0.2.0/24"), ip("192.0.2.1"), attrs);
            RecordingRouteListener.await("route", WAIT, () -> onA.routes.size() == 1);
            Route r = onA.routes.get(Prefix.parse("192.0.2.0/24"));
            assertEquals(AsPath.sequence(4200000002L, 4200000002L), r.attributes().asPath());
            assertEquals(ip("127.0.0.3"), r.nextHop().address(), "eBGP always next-hop-self");
            assertEquals(50, r.attributes().med(), "MED of our own routes goes to eBGP peers");
            assertEquals(-1, r.attributes().localPref());
            assertEquals(List.of(0xFDE80001), r.attributes().communities());
            assertEquals(4200000002L, r.peerAs());
            // A must not send the route back to B: B's own AS is in the path.
            assertEquals(0, a.peerStatus().get(0).prefixesAdvertised());
        }
    }

    @Test
    void restartingSpeakerKeepsItsRoutesAtThePeerUntilEndOfRib() throws Exception {
        RecordingRouteListener onA = new RecordingRouteListener();
        Prefix kept = Prefix.parse("10.244.7.0/24");
        Prefix dropped = Prefix.parse("10.244.8.0/24");
        try (BgpSpeaker a = BgpSpeaker.builder().localAs(64512).routerId(0x01010101L).listen(ip("127.0.0.1"), 0)
                .routeListener(onA).build().start()) {
            a.addPeer(PeerConfig.builder(ip("127.0.0.4"), 64512).passive(true).build());
            RecordingRouteListener onB = new RecordingRouteListener();
            BgpSpeaker b = restartableSpeaker(a, false, onB);
            b.announce(java.util.List.of(kept, dropped), null, null);
            a.announce(Prefix.parse("10.244.1.0/24"), null, null);
            RecordingRouteListener.await("routes", WAIT, () -> onA.routes.size() == 3 && onB.routes.size() == 3);

            b.shutdown(true); // TCP closed without NOTIFICATION: A must keep the routes
            assertEquals(0, onB.removed.get(), "a restarting speaker leaves its kernel routes alone");
            RecordingRouteListener.await("peer down", WAIT, () -> a.peerStatus().get(0).state() != SessionState.ESTABLISHED);
            assertEquals(3, onA.routes.size());
            assertEquals(2, a.peerStatus().get(0).prefixesStale());

            BgpSpeaker b2 = restartableSpeaker(a, true, RouteListener.NONE);
            try {
                b2.announce(kept, null, null);
                b2.addPeer(PeerConfig.builder(ip("127.0.0.1"), 64512).port(a.listenPort()).localAddress(ip("127.0.0.4")).build());
                RecordingRouteListener.await("stale route flushed after End-of-RIB", WAIT,
                        () -> onA.routes.size() == 2 && onA.routes.containsKey(kept) && !onA.routes.containsKey(dropped));
                assertEquals(1, onA.removed.get(), "only the route the restarted peer did not re-announce went away");
                assertEquals(0, a.peerStatus().get(0).prefixesStale());
            } finally {
                b2.close();
            }
        }
    }

    private static BgpSpeaker restartableSpeaker(BgpSpeaker a, boolean restarted, RouteListener listener) throws Exception {
        BgpSpeaker b = BgpSpeaker.builder().localAs(64512).routerId(0x04040404L).restarting(restarted).routeListener(listener)
                .gracefulRestartTime(Duration.ofSeconds(60)).build().start();
        if (!restarted) {
            b.addPeer(PeerConfig.builder(ip("127.0.0.1"), 64512).port(a.listenPort()).localAddress(ip("127.0.0.4")).build());
            RecordingRouteListener.await("established", WAIT, () -> established(a) && established(b));
        }
        return b;
    }

    @Test
    void removingAPeerDropsItsRoutesAndTellsThePeer() throws Exception {
        RecordingRouteListener onA = new RecordingRouteListener();
        try (BgpSpeaker a = BgpSpeaker.builder().localAs(64512).routerId(0x01010101L).listen(ip("127.0.0.1"), 0)
                .routeListener(onA).build().start();
             BgpSpeaker b = BgpSpeaker.builder().localAs(64512).routerId(0x05050505L).idleHold(Duration.ofSeconds(30))
                     .build().start()) {
            a.addPeer(PeerConfig.builder(ip("127.0.0.5"), 64512).passive(true).build());
            b.addPeer(PeerConfig.builder(ip("127.0.0.1"), 64512).port(a.listenPort()).localAddress(ip("127.0.0.5")).build());
            b.announce(Prefix.parse("10.5.0.0/24"), null, null);
            RecordingRouteListener.await("route", WAIT, () -> onA.routes.size() == 1);
            assertTrue(a.removePeer(ip("127.0.0.5")));
            assertFalse(a.removePeer(ip("127.0.0.5")));
            assertEquals(0, onA.routes.size());
            assertEquals(0, a.peerStatus().size());
            RecordingRouteListener.await("peer told", WAIT,
                    () -> "received cease / peer de-configured".equals(b.peerStatus().get(0).lastError()));
            assertThrows(IllegalArgumentException.class, () -> b.addPeer(PeerConfig.builder(ip("127.0.0.1"), 64512).build()));
        }
    }

    static boolean established(BgpSpeaker s) {
        return s.peerStatus().stream().allMatch(p -> p.state() == SessionState.ESTABLISHED);
    }
}
