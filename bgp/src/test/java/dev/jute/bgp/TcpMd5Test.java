package dev.jute.bgp;

import dev.jute.bgp.fsm.SessionState;
import dev.jute.bgp.transport.EpollTransportFactory;
import dev.jute.bgp.transport.NioTransportFactory;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.*;

/** TCP MD5 signatures (RFC 2385) through the epoll transport, over loopback. */
class TcpMd5Test {
    static final Duration WAIT = Duration.ofSeconds(15);

    BgpSpeaker listener(String password) throws Exception {
        BgpSpeaker s = BgpSpeaker.builder().localAs(64512).routerId(0x01010101L)
                .listen(InetAddress.getByName("127.0.0.1"), 0).transport(new EpollTransportFactory()).build().start();
        s.addPeer(PeerConfig.builder(InetAddress.getByName("127.0.0.7"), 64512).passive(true).password(password).build());
        return s;
    }

    BgpSpeaker connector(BgpSpeaker target, String password) throws Exception {
        BgpSpeaker s = BgpSpeaker.builder().localAs(64512).routerId(0x02020202L).connectRetry(Duration.ofSeconds(1))
                .transport(new EpollTransportFactory()).build().start();
        s.addPeer(PeerConfig.builder(InetAddress.getByName("127.0.0.1"), 64512).port(target.listenPort())
                .localAddress(InetAddress.getByName("127.0.0.7")).password(password).build());
        return s;
    }

    @Test
    void matchingPasswordsEstablishAndMismatchedOnesDoNot() throws Exception {
        Assumptions.assumeTrue(EpollTransportFactory.available(), "epoll native transport not available here");
        try (BgpSpeaker a = listener("s3cret"); BgpSpeaker b = connector(a, "s3cret")) {
            RecordingRouteListener.await("MD5 session", WAIT, () -> SpeakerLoopbackTest.established(a)
                    && SpeakerLoopbackTest.established(b));
        }
        try (BgpSpeaker a = listener("s3cret"); BgpSpeaker b = connector(a, "wrong")) {
            Thread.sleep(3000);
            assertNotEquals(SessionState.ESTABLISHED, a.peerStatus().get(0).state());
            assertNotEquals(SessionState.ESTABLISHED, b.peerStatus().get(0).state());
        }
    }

    @Test
    void unsignedPeerCannotReachAPasswordProtectedListener() throws Exception {
        Assumptions.assumeTrue(EpollTransportFactory.available(), "epoll native transport not available here");
        try (BgpSpeaker a = listener("s3cret");
             BgpSpeaker b = BgpSpeaker.builder().localAs(64512).routerId(0x02020202L).connectRetry(Duration.ofSeconds(1))
                     .transport(new EpollTransportFactory()).build().start()) {
            b.addPeer(PeerConfig.builder(InetAddress.getByName("127.0.0.1"), 64512).port(a.listenPort())
                    .localAddress(InetAddress.getByName("127.0.0.7")).build());
            Thread.sleep(3000);
            assertNotEquals(SessionState.ESTABLISHED, a.peerStatus().get(0).state());
        }
    }

    @Test
    void nioTransportRefusesPasswordsWithAClearError() throws Exception {
        try (BgpSpeaker s = BgpSpeaker.builder().localAs(64512).routerId(0x01010101L)
                .transport(new NioTransportFactory()).build().start()) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> s.addPeer(
                    PeerConfig.builder(InetAddress.getByName("127.0.0.9"), 64512).password("x").build()));
            assertTrue(e.getMessage().contains("TCP MD5"), e.getMessage());
            assertEquals("nio", s.transportName());
            assertEquals(0, s.peerStatus().size());
        }
    }
}
