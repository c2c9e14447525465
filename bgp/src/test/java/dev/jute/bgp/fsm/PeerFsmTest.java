package dev.jute.bgp.fsm;

import dev.jute.bgp.AddressFamily;
import dev.jute.bgp.PeerConfig;
import dev.jute.bgp.message.Capability;
import dev.jute.bgp.message.BgpDecodeException;
import dev.jute.bgp.message.KeepaliveMessage;
import dev.jute.bgp.message.NotificationMessage;
import dev.jute.bgp.message.OpenMessage;
import dev.jute.bgp.message.RouteRefreshMessage;
import dev.jute.bgp.message.UpdateMessage;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;

import static dev.jute.bgp.fsm.SessionState.*;
import static org.junit.jupiter.api.Assertions.*;

class PeerFsmTest {
    static final long LOCAL_ID = 0x0A000001L; // 10.0.0.1
    static final InetSocketAddress LOCAL = new InetSocketAddress("10.0.0.1", 40000);
    static final InetSocketAddress REMOTE = new InetSocketAddress("10.0.0.2", 179);

    final ManualTimers timers = new ManualTimers();
    final List<String> events = new ArrayList<>();
    final List<SessionState> states = new ArrayList<>();
    int connects;
    int aborts;

    final SessionListener listener = new SessionListener() {
        @Override
        public void established(PeerFsm fsm, NegotiatedSession session) {
            events.add("established hold=" + session.holdTimeSeconds() + " four=" + session.fourOctetAs()
                    + " families=" + session.families());
        }

        @Override
        public void updateReceived(PeerFsm fsm, UpdateMessage update) {
            events.add("update");
        }

        @Override
        public void routeRefreshReceived(PeerFsm fsm, RouteRefreshMessage refresh) {
            events.add("refresh");
        }

        @Override
        public void sessionDown(PeerFsm fsm, NegotiatedSession session, boolean graceful) {
            events.add("down graceful=" + graceful);
        }

        @Override
        public void stateChanged(PeerFsm fsm, SessionState from, SessionState to) {
            states.add(to);
        }
    };

    final Connector connector = fsm -> {
        connects++;
        return () -> aborts++;
    };

    PeerFsm fsm(long localAs, long remoteAs, boolean passive) throws Exception {
        SpeakerSettings settings = new SpeakerSettings(localAs, LOCAL_ID, 90, Duration.ofSeconds(30),
                Duration.ofSeconds(5), Duration.ofSeconds(120), false, EnumSet.allOf(AddressFamily.class));
        PeerConfig config = PeerConfig.builder(InetAddress.getByName("10.0.0.2"), remoteAs).passive(passive).build();
        return new PeerFsm(settings, config, timers, connector, listener);
    }

    static OpenMessage peerOpen(long as, int hold, long id, Capability... extra) {
        List<Capability> caps = new ArrayList<>(List.of(new Capability.Multiprotocol(1, 1), new Capability.FourOctetAs(as)));
        caps.addAll(List.of(extra));
        return OpenMessage.of(as, hold, id, caps);
    }

    FakeConnection outbound() {
        return new FakeConnection(true, LOCAL, REMOTE);
    }

    FakeConnection inbound() {
        return new FakeConnection(false, new InetSocketAddress("10.0.0.1", 179), new InetSocketAddress("10.0.0.2", 50000));
    }

    PeerFsm establish(PeerFsm fsm, FakeConnection c, OpenMessage open) {
        fsm.start();
        fsm.outboundConnected(c);
        fsm.messageReceived(c, open);
        fsm.messageReceived(c, KeepaliveMessage.INSTANCE);
        assertEquals(ESTABLISHED, fsm.state());
        return fsm;
    }

    @Test
    void activePeerWalksThroughEveryStateToEstablished() throws Exception {
        PeerFsm fsm = fsm(64512, 64512, false);
        assertEquals(IDLE, fsm.state());
        fsm.start();
        assertEquals(CONNECT, fsm.state());
        assertEquals(1, connects);
        FakeConnection c = outbound();
        fsm.outboundConnected(c);
        assertEquals(OPEN_SENT, fsm.state());
        OpenMessage ours = (OpenMessage) c.sent.get(0);
        assertEquals(64512, ours.effectiveAs());
        assertEquals(LOCAL_ID, ours.bgpIdentifier());
        assertEquals(90, ours.holdTime());
        assertNotNull(ours.capability(Capability.GracefulRestart.class));
        assertNotNull(ours.capability(Capability.RouteRefresh.class));
        assertTrue(ours.capabilities().contains(new Capability.Multiprotocol(2, 1)));

        fsm.messageReceived(c, peerOpen(64512, 30, 0x0A000002L));
        assertEquals(OPEN_CONFIRM, fsm.state());
        assertEquals(KeepaliveMessage.INSTANCE, c.last());
        assertEquals(Boolean.TRUE, c.fourOctetAs);
        fsm.messageReceived(c, KeepaliveMessage.INSTANCE);
        assertEquals(ESTABLISHED, fsm.state());
        assertEquals(List.of(CONNECT, OPEN_SENT, OPEN_CONFIRM, ESTABLISHED), states);
        assertEquals(List.of("established hold=30 four=true families=[IPV4]"), events);
        fsm.messageReceived(c, new UpdateMessage(List.of(), List.of(), List.of()));
        fsm.messageReceived(c, new RouteRefreshMessage(1, 0, 1));
        assertEquals(List.of("update", "refresh"), events.subList(1, 3));
    }

    @Test
    void refusedConnectsAreRetriedSoonBackingOffToTheConnectRetryTime() throws Exception {
        PeerFsm fsm = fsm(64512, 64512, false);
        fsm.start();
        fsm.outboundFailed(new java.net.ConnectException("refused"));
        assertEquals(ACTIVE, fsm.state());
        assertEquals("connect failed: refused", fsm.lastError());
        // 1 s, 2 s, 4 s, 8 s, 16 s after each refusal; then the connect-retry time (30 s here).
        long[] waits = {1, 2, 4, 8, 16, 30, 30};
        for (int i = 0; i < waits.length; i++) {
            timers.advance(Duration.ofMillis(waits[i] * 1000 - 1));
            assertEquals(i + 1, connects, "no retry before " + waits[i] + " s");
            timers.advance(Duration.ofMillis(1));
            assertEquals(i + 2, connects, "retry after " + waits[i] + " s");
            assertEquals(CONNECT, fsm.state());
            fsm.outboundFailed(new java.net.ConnectException("refused"));
        }
    }

    @Test
    void aConnectThatHangsIsAbandonedWhenConnectRetryFires() throws Exception {
        PeerFsm fsm = fsm(64512, 64512, false);
        fsm.start();
        timers.advance(Duration.ofSeconds(29));
        assertEquals(1, connects);
        timers.advance(Duration.ofSeconds(1));
        assertEquals(2, connects);
        assertEquals(1, aborts);
        assertEquals(CONNECT, fsm.state());
        timers.advance(Duration.ofSeconds(30));
        assertEquals(3, connects);
        assertEquals(2, aborts);
    }

    @Test
    void passivePeerWaitsInActiveWithoutConnecting() throws Exception {
        PeerFsm fsm = fsm(64512, 64512, true);
        fsm.start();
        assertEquals(ACTIVE, fsm.state());
        timers.advance(Duration.ofMinutes(5));
        assertEquals(0, connects);
        FakeConnection c = inbound();
        fsm.inboundConnection(c);
        assertEquals(OPEN_SENT, fsm.state());
        fsm.messageReceived(c, peerOpen(64512, 90, 0x0A000002L));
        fsm.messageReceived(c, KeepaliveMessage.INSTANCE);
        assertEquals(ESTABLISHED, fsm.state());
    }

    @Test
    void keepalivesAreSentAtOneThirdOfHoldTimeAndHoldExpiryResetsTheSession() throws Exception {
        FakeConnection c = outbound();
        PeerFsm fsm = establish(fsm(64512, 64512, false), c, peerOpen(64512, 9, 0x0A000002L));
        int keepalivesBefore = c.sentOf(KeepaliveMessage.class).size();
        timers.advance(Duration.ofSeconds(3));
        assertEquals(keepalivesBefore + 1, c.sentOf(KeepaliveMessage.class).size());
        timers.advance(Duration.ofSeconds(5));
        fsm.messageReceived(c, KeepaliveMessage.INSTANCE); // restarts the hold timer at t=8
        timers.advance(Duration.ofSeconds(8));
        assertEquals(ESTABLISHED, fsm.state());
        timers.advance(Duration.ofSeconds(1));
        assertEquals(IDLE, fsm.state());
        assertTrue(c.closed);
        assertEquals(new NotificationMessage(4, 0), c.last());
        assertTrue(events.contains("down graceful=false"));
        assertTrue(fsm.lastError().startsWith("hold timer expired"));
        int before = connects;
        timers.advance(Duration.ofSeconds(5)); // idle hold, then automatic restart
        assertEquals(before + 1, connects);
        assertEquals(CONNECT, fsm.state());
    }

    @Test
    void holdTimeZeroMeansNoKeepalivesAndNoHoldTimer() throws Exception {
        FakeConnection c = outbound();
        PeerFsm fsm = establish(fsm(64512, 64512, false), c, peerOpen(64512, 0, 0x0A000002L));
        int sent = c.sent.size();
        timers.advance(Duration.ofHours(1));
        assertEquals(sent, c.sent.size());
        assertEquals(ESTABLISHED, fsm.state());
    }

    @Test
    void openSentTimesOutAfterFourMinutes() throws Exception {
        PeerFsm fsm = fsm(64512, 64512, false);
        fsm.start();
        FakeConnection c = outbound();
        fsm.outboundConnected(c);
        timers.advance(Duration.ofSeconds(239));
        assertEquals(OPEN_SENT, fsm.state());
        timers.advance(Duration.ofSeconds(1));
        assertEquals(new NotificationMessage(4, 0), c.last());
        assertEquals(IDLE, fsm.state());
    }

    @Test
    void wrongPeerAsIsRejectedWithBadPeerAs() throws Exception {
        PeerFsm fsm = fsm(64512, 65001, false);
        fsm.start();
        FakeConnection c = outbound();
        fsm.outboundConnected(c);
        fsm.messageReceived(c, peerOpen(65002, 90, 0x0A000002L));
        assertEquals(new NotificationMessage(2, 2, new byte[] {(byte) 0xfd, (byte) 0xea}), c.last());
        assertTrue(c.closed);
        assertEquals(IDLE, fsm.state());
    }

    @Test
    void fourOctetPeerAsIsCheckedThroughTheCapability() throws Exception {
        FakeConnection c = outbound();
        establish(fsm(64512, 4200000001L, false), c, peerOpen(4200000001L, 90, 0x0A000002L));
        assertEquals(OpenMessage.AS_TRANS, peerOpen(4200000001L, 90, 1).myAs());
    }

    @Test
    void sameRouterIdWithinTheAsIsABadIdentifier() throws Exception {
        PeerFsm fsm = fsm(64512, 64512, false);
        fsm.start();
        FakeConnection c = outbound();
        fsm.outboundConnected(c);
        fsm.messageReceived(c, peerOpen(64512, 90, LOCAL_ID));
        assertEquals(new NotificationMessage(2, 3), c.last());
    }

    @Test
    void unexpectedMessagesAreFsmErrors() throws Exception {
        PeerFsm fsm = fsm(64512, 64512, false);
        fsm.start();
        FakeConnection c = outbound();
        fsm.outboundConnected(c);
        fsm.messageReceived(c, new UpdateMessage(List.of(), List.of(), List.of()));
        assertEquals(new NotificationMessage(5, 1), c.last());
        assertEquals(List.of(), events);

        FakeConnection c2 = outbound();
        PeerFsm fsm2 = establish(fsm(64512, 64512, false), c2, peerOpen(64512, 90, 0x0A000002L));
        fsm2.messageReceived(c2, peerOpen(64512, 90, 0x0A000002L));
        assertEquals(new NotificationMessage(5, 3), c2.last());
    }

    @Test
    void collisionKeepsTheConnectionOpenedByTheHigherIdentifier() throws Exception {
        // Remote id 10.0.0.2 > local 10.0.0.1: keep the remote-initiated (inbound) connection.
        PeerFsm fsm = fsm(64512, 64512, false);
        fsm.start();
        FakeConnection out = outbound();
        fsm.outboundConnected(out);
        FakeConnection in = inbound();
        fsm.inboundConnection(in);
        assertEquals(OPEN_SENT, fsm.state());
        fsm.messageReceived(out, peerOpen(64512, 90, 0x0A000002L));
        assertTrue(out.closed, "our connection loses");
        assertEquals(new NotificationMessage(6, 7), out.last());
        assertFalse(in.closed);
        fsm.messageReceived(in, peerOpen(64512, 90, 0x0A000002L));
        fsm.messageReceived(in, KeepaliveMessage.INSTANCE);
        assertEquals(ESTABLISHED, fsm.state());
        assertEquals(1, events.size());
    }

    @Test
    void collisionWithLowerRemoteIdentifierKeepsOurConnection() throws Exception {
        PeerFsm fsm = fsm(64512, 64512, false);
        fsm.start();
        FakeConnection out = outbound();
        fsm.outboundConnected(out);
        fsm.messageReceived(out, peerOpen(64512, 90, 0x09000001L));
        assertEquals(OPEN_CONFIRM, fsm.state());
        FakeConnection in = inbound();
        fsm.inboundConnection(in);
        fsm.messageReceived(in, peerOpen(64512, 90, 0x09000001L));
        assertTrue(in.closed);
        assertEquals(new NotificationMessage(6, 7), in.last());
        assertFalse(out.closed);
        fsm.messageReceived(out, KeepaliveMessage.INSTANCE);
        assertEquals(ESTABLISHED, fsm.state());
    }

    @Test
    void connectionCollidingWithEstablishedSessionIsRefused() throws Exception {
        FakeConnection c = outbound();
        PeerFsm fsm = establish(fsm(64512, 64512, false), c, peerOpen(64512, 90, 0x0A000002L));
        FakeConnection late = inbound();
        fsm.inboundConnection(late);
        assertTrue(late.closed);
        assertEquals(new NotificationMessage(6, 7), late.last());
        assertEquals(ESTABLISHED, fsm.state());
        assertFalse(c.closed);
    }

    @Test
    void tcpLossWithGracefulRestartPeerIsGracefulButNotificationIsNot() throws Exception {
        Capability gr = new Capability.GracefulRestart(0, 120, List.of());
        FakeConnection c = outbound();
        PeerFsm fsm = establish(fsm(64512, 64512, false), c, peerOpen(64512, 90, 0x0A000002L, gr));
        fsm.connectionClosed(c);
        assertEquals("down graceful=true", events.get(events.size() - 1));

        timers.advance(Duration.ofSeconds(5));
        FakeConnection c2 = new FakeConnection(true, LOCAL, REMOTE);
        fsm.outboundConnected(c2);
        fsm.messageReceived(c2, peerOpen(64512, 90, 0x0A000002L, gr));
        fsm.messageReceived(c2, KeepaliveMessage.INSTANCE);
        fsm.messageReceived(c2, new NotificationMessage(6, 2));
        assertEquals("down graceful=false", events.get(events.size() - 1));
        assertEquals("received cease / administrative shutdown", fsm.lastError());
    }

    @Test
    void decodeErrorSendsItsNotification() throws Exception {
        FakeConnection c = outbound();
        PeerFsm fsm = establish(fsm(64512, 64512, false), c, peerOpen(64512, 90, 0x0A000002L));
        fsm.decodeFailed(c, new BgpDecodeException(3, 1, "bad"));
        assertEquals(new NotificationMessage(3, 1), c.last());
        assertEquals(IDLE, fsm.state());
        assertEquals("down graceful=false", events.get(events.size() - 1));
    }

    @Test
    void manualStopSendsCeaseAndStaysIdle() throws Exception {
        FakeConnection c = outbound();
        PeerFsm fsm = establish(fsm(64512, 64512, false), c, peerOpen(64512, 90, 0x0A000002L));
        fsm.stop(2, "shutdown");
        assertEquals(new NotificationMessage(6, 2), c.last());
        timers.advance(Duration.ofMinutes(10));
        assertEquals(IDLE, fsm.state());
        assertEquals(1, connects);
    }
}
