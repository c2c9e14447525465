package dev.jute.dataplane.bpf;

import dev.jute.dataplane.bpf.ChecksummedIpv6Packets.Ipv6;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.Arrays;
import java.util.List;

import static dev.jute.dataplane.bpf.ChecksummedIpv6Packets.assertChecksums;
import static dev.jute.dataplane.bpf.ChecksummedIpv6Packets.at;
import static dev.jute.dataplane.bpf.ChecksummedIpv6Packets.tcp;
import static dev.jute.dataplane.bpf.ChecksummedIpv6Packets.udp;
import static dev.jute.dataplane.bpf.TestPackets.ACK;
import static dev.jute.dataplane.bpf.TestPackets.FIN;
import static dev.jute.dataplane.bpf.TestPackets.RST;
import static dev.jute.dataplane.bpf.TestPackets.SYN;
import static dev.jute.dataplane.bpf.TestPackets.ip;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The IPv6 side of Service NAT judged packet by packet with BPF_PROG_TEST_RUN (the IPv4 side is
 * {@link ServiceProgramTest}): retiring a backend (a RST whose checksum covers the IPv6 pseudo
 * header, the live backend's connection untouched, UDP balanced anew) and hairpin (the pod hidden
 * behind the IPv6 service loopback address, both directions, TCP and UDP). Every checksum of what
 * the programs return is recomputed here from scratch.
 */
class ServiceProgramIpv6Test extends ServiceProgramHarness {

    static final String A = "fd00:10:1::1";       // client pod
    static final String B = "fd00:10:1::2";       // backend pod on this node
    static final String C = "fd00:10:1::3";       // second backend pod on this node
    static final String REMOTE = "fd00:10:2::5";  // backend pod on another node
    static final String NODE = "fd00:99::1";
    static final String NODE_IPV4 = "10.99.0.1";
    static final String OUTSIDE = "2001:db8::50";
    static final String VIP = "fd00:96::10";
    /** lb.h SERVICE_LOOPBACK_IPV6: the source a hairpin connection is hidden behind. */
    static final String SERVICE_LOOPBACK = "fd6a:7574:6500::1";

    @BeforeAll
    static void setUp() throws Exception {
        openHarness("svc6run");
    }

    @BeforeEach
    void emptyMaps() {
        resetMaps((Inet4Address) ip(NODE_IPV4), (Inet6Address) ip(NODE), NODE, A, B, C);
    }

    /** Asserts the packet passes with valid checksums; the parsed output. */
    static Ipv6 passes(BpfProgram.TestRunResult result) {
        assertEquals(TC_ACT_OK, result.returnValue(), () -> "the packet passes; drops: " + policy.maps().drops());
        assertChecksums(result.packetOut());
        return new Ipv6(result.packetOut());
    }

    /** Asserts the packet is sent back where it came from (redirect) with valid checksums; the parsed output. */
    static Ipv6 redirected(BpfProgram.TestRunResult result) {
        assertEquals(TC_ACT_REDIRECT, result.returnValue(), () -> "redirected; drops: " + policy.maps().drops());
        assertChecksums(result.packetOut());
        return new Ipv6(result.packetOut());
    }

    /** A turned-around frame: back to the sender's MAC, from the MAC it was sent to. */
    static void assertTurnedAround(byte[] sent, byte[] received) {
        assertArrayEquals(Arrays.copyOfRange(sent, 6, 12), Arrays.copyOfRange(received, 0, 6), "to the sender's MAC");
        assertArrayEquals(Arrays.copyOfRange(sent, 0, 6), Arrays.copyOfRange(received, 6, 12), "from the MAC it was sent to");
    }

    static ServiceFrontend clusterIp(int id, int protocol) {
        return ServiceFrontend.of(id, ip(VIP), 80, protocol, FrontendScope.INTERNAL);
    }

    static ServiceFrontend nodePort(int id) {
        return ServiceFrontend.of(id, ip(NODE), 30080, ChecksummedIpv6Packets.TCP, FrontendScope.EXTERNAL);
    }

    static ServiceBackend backend(String address, int port) {
        return new ServiceBackend(ip(address), port, !address.equals(REMOTE));
    }

    static final int TCP = ChecksummedIpv6Packets.TCP;
    static final int UDP = ChecksummedIpv6Packets.UDP;

    // --- DNAT and reverse NAT ------------------------------------------------------------------------

    @Test
    void clusterIpTcpIsTranslatedToTheBackendAndRepliesBackToTheFrontend() throws Exception {
        services.maps().upsertService(clusterIp(1, TCP), List.of(backend(B, 8080)));
        Ipv6 syn = passes(fromPod(tcp(A, 40000, VIP, 80, SYN), ifA));
        assertEquals(at(A, 40000), syn.endpointText(true));
        assertEquals(at(B, 8080), syn.endpointText(false));
        passes(toPod(syn.frame(), ifB));
        Ipv6 synAck = passes(toPod(tcp(B, 8080, A, 40000, SYN | ACK), ifA));
        assertEquals(at(VIP, 80), synAck.endpointText(true));
        assertEquals(at(A, 40000), synAck.endpointText(false));
    }

    // --- retired backends ----------------------------------------------------------------------------

    /** Opens connections from A until one reaches each of B and C; their client ports, B's first. */
    private static int[] oneConnectionToEachBackend() throws Exception {
        int toB = -1;
        int toC = -1;
        for (int port = 40000; port < 40064 && (toB < 0 || toC < 0); port++) {
            InetAddress chosen = passes(fromPod(tcp(A, port, VIP, 80, SYN), ifA)).destination();
            if (chosen.equals(ip(B))) {
                toB = port;
            } else {
                assertEquals(ip(C), chosen);
                toC = port;
            }
        }
        assertTrue(toB > 0 && toC > 0, "64 connections reach both backends");
        return new int[] {toB, toC};
    }

    @Test
    void anEstablishedConnectionWhoseBackendLeftIsResetWhileOneToALiveBackendSurvives() throws Exception {
        ServiceFrontend frontend = clusterIp(1, TCP);
        services.maps().upsertService(frontend, List.of(backend(B, 8080), backend(C, 8080)));
        int[] ports = oneConnectionToEachBackend();
        int connections = services.maps().connectionCount();

        // C leaves; B moves into slot 1, so only the live pairs tell the two connections apart.
        assertEquals(1, services.maps().upsertService(frontend, List.of(backend(B, 8080))), "one backend retired");
        assertFalse(services.maps().isLive(1, backend(C, 8080)));

        Ipv6 toLive = passes(fromPod(tcp(A, ports[0], VIP, 80, ACK), ifA));
        assertEquals(at(B, 8080), toLive.endpointText(false), "the connection to the live backend goes on");

        byte[] segment = tcp(A, ports[1], VIP, 80, ACK); // seq 1000, ack 5000
        BpfProgram.TestRunResult answer = fromPod(segment, ifA);
        Ipv6 rst = redirected(answer); // the checksum check covers the IPv6 pseudo header of VIP -> A
        assertEquals(14 + 40 + 20, answer.packetOut().length, "Ethernet, IPv6 header, bare TCP header");
        assertEquals(TCP, rst.nextHeader());
        assertEquals(at(VIP, 80), rst.endpointText(true), "from the frontend the client is connected to");
        assertEquals(at(A, ports[1]), rst.endpointText(false));
        assertEquals(RST, rst.tcpFlags());
        assertEquals(5000, rst.tcpSeq(), "seq = the segment's ack: exactly what the client expects next");
        assertTurnedAround(segment, answer.packetOut());
        assertEquals(connections - 1, services.maps().connectionCount(), "the retired connection's entries are gone");
        assertEquals(1, policy.maps().dropped(A_ID, TrafficDirection.EGRESS, DropReason.SERVICE_BACKEND_RETIRED));

        // The reply of the live backend is still translated back to the frontend.
        Ipv6 reply = passes(toPod(tcp(B, 8080, A, ports[0], ACK), ifA));
        assertEquals(at(VIP, 80), reply.endpointText(true));
        // A RST of the client on a retired connection is discarded, never answered.
        services.maps().upsertService(frontend, List.of(backend(C, 8080)));
        assertEquals(TC_ACT_SHOT, fromPod(tcp(A, ports[0], VIP, 80, RST | ACK), ifA).returnValue());
    }

    @Test
    void aSynReusingTheTupleOfARetiredConnectionIsBalancedToALiveBackend() throws Exception {
        ServiceFrontend frontend = clusterIp(1, TCP);
        services.maps().upsertService(frontend, List.of(backend(B, 8080)));
        passes(fromPod(tcp(A, 40000, VIP, 80, SYN), ifA));
        services.maps().upsertService(frontend, List.of(backend(C, 8080)));
        // A retransmitted SYN (or the client reusing the 5-tuple) has no state to lose: it connects, no RST.
        Ipv6 syn = passes(fromPod(tcp(A, 40000, VIP, 80, SYN), ifA));
        assertEquals(at(A, 40000), syn.endpointText(true));
        assertEquals(at(C, 8080), syn.endpointText(false), "to the live backend");
        assertEquals(SYN, syn.tcpFlags());
        assertEquals(1, services.maps().connectionCount(), "the retired connection's entries were replaced, not kept beside");
        assertEquals(0, policy.maps().dropped(A_ID, TrafficDirection.EGRESS, DropReason.SERVICE_BACKEND_RETIRED));
        Ipv6 synAck = passes(toPod(tcp(C, 8080, A, 40000, SYN | ACK), ifA));
        assertEquals(at(VIP, 80), synAck.endpointText(true), "the new backend's answer is translated back");
        assertEquals(at(C, 8080), passes(fromPod(tcp(A, 40000, VIP, 80, ACK), ifA)).endpointText(false));
    }

    @Test
    void aSegmentWithoutAckThatOpensNothingOnARetiredConnectionIsAnsweredWithRstAck() throws Exception {
        ServiceFrontend frontend = clusterIp(1, TCP);
        services.maps().upsertService(frontend, List.of(backend(B, 8080)));
        passes(fromPod(tcp(A, 40000, VIP, 80, SYN), ifA));
        services.maps().upsertService(frontend, List.of(backend(C, 8080)));
        // A bare FIN (seq 1000) finds its entry with a retired backend: RST|ACK acknowledging it (1000 + the FIN's 1).
        Ipv6 rst = redirected(fromPod(tcp(A, 40000, VIP, 80, FIN), ifA));
        assertEquals(RST | ACK, rst.tcpFlags());
        assertEquals(1001, rst.tcpAck());
        assertEquals(0, rst.tcpSeq());
        assertEquals(at(VIP, 80), rst.endpointText(true));
        assertEquals(0, services.maps().connectionCount());
    }

    @Test
    void aUdpFlowWhoseBackendLeftIsBalancedAnew() throws Exception {
        ServiceFrontend frontend = clusterIp(1, UDP);
        services.maps().upsertService(frontend, List.of(backend(B, 5353)));
        assertEquals(at(B, 5353), passes(fromPod(udp(A, 33333, VIP, 80, "one".getBytes()), ifA)).endpointText(false));
        services.maps().upsertService(frontend, List.of(backend(C, 5353)));
        Ipv6 moved = passes(fromPod(udp(A, 33333, VIP, 80, "two".getBytes()), ifA));
        assertEquals(at(C, 5353), moved.endpointText(false), "no reset for a datagram flow: it moves to a live backend");
        Ipv6 reply = passes(toPod(udp(C, 5353, A, 33333, "answer".getBytes()), ifA));
        assertEquals(at(VIP, 80), reply.endpointText(true));
        assertEquals(1, services.maps().connectionCount(), "the old flow's entries were replaced, not kept beside");
        assertEquals(0, policy.maps().dropped(A_ID, TrafficDirection.EGRESS, DropReason.SERVICE_BACKEND_RETIRED));
    }

    @Test
    void aDeletedFrontendResetsItsConnections() throws Exception {
        ServiceFrontend frontend = clusterIp(1, TCP);
        services.maps().upsertService(frontend, List.of(backend(B, 8080)));
        passes(fromPod(tcp(A, 40000, VIP, 80, SYN), ifA));
        assertTrue(services.maps().deleteService(frontend.key()));
        Ipv6 rst = redirected(fromPod(tcp(A, 40000, VIP, 80, ACK), ifA));
        assertEquals(RST, rst.tcpFlags());
        assertEquals(0, services.maps().connectionCount());
    }

    @Test
    void aMasqueradedNodePortConnectionWhoseBackendLeftIsResetOutOfTheUplinkAndFreesItsPort() throws Exception {
        services.maps().upsertService(nodePort(5), List.of(backend(REMOTE, 8080)));
        Ipv6 syn = passes(fromNetdev(tcp(OUTSIDE, 5555, NODE, 30080, SYN)));
        assertEquals(at(REMOTE, 8080), syn.endpointText(false));
        assertEquals(ip(NODE), syn.source(), "the client is hidden behind the node's IPv6 address");
        Ipv6 synAck = passes(fromNetdev(tcp(REMOTE, 8080, NODE, syn.sourcePort(), SYN | ACK)));
        assertEquals(at(NODE, 30080), synAck.endpointText(true));
        assertEquals(at(OUTSIDE, 5555), synAck.endpointText(false));

        services.maps().upsertService(nodePort(5), List.of(backend(B, 8080)));
        byte[] segment = tcp(OUTSIDE, 5555, NODE, 30080, ACK);
        BpfProgram.TestRunResult answer = fromNetdev(segment);
        Ipv6 rst = redirected(answer);
        assertEquals(at(NODE, 30080), rst.endpointText(true));
        assertEquals(at(OUTSIDE, 5555), rst.endpointText(false));
        assertEquals(RST, rst.tcpFlags());
        assertTurnedAround(segment, answer.packetOut());
        assertTrue(services.maps().map(ServiceMaps.NAT_CT).keys().isEmpty(),
                "forward entry and SNAT port claim " + syn.sourcePort() + " are gone");
        assertEquals(1, policy.maps().dropped(0, TrafficDirection.INGRESS, DropReason.SERVICE_BACKEND_RETIRED));
    }

    // --- hairpin: the client is its own backend ------------------------------------------------------

    @Test
    void aPodReachingItselfOverTcpIsHiddenBehindTheServiceLoopbackBothWays() throws Exception {
        services.maps().upsertService(clusterIp(1, TCP), List.of(backend(A, 8080)));
        endpoint(ifA, A_ID, A_IDENTITY, A, true, true); // isolated both ways, nothing allowed: a pod still reaches itself

        byte[] synFrame = tcp(A, 40000, VIP, 80, SYN);
        BpfProgram.TestRunResult syn = fromPod(synFrame, ifA);
        Ipv6 in = redirected(syn);
        assertTurnedAround(synFrame, syn.packetOut());
        assertEquals(ip(SERVICE_LOOPBACK), in.source(), "not its own address, which its kernel would take for a martian");
        int loopbackPort = in.sourcePort();
        assertTrue(loopbackPort >= 61000 && loopbackPort <= 65535, "port " + loopbackPort);
        assertEquals(at(A, 8080), in.endpointText(false));

        byte[] synAckFrame = tcp(A, 8080, SERVICE_LOOPBACK, loopbackPort, SYN | ACK);
        BpfProgram.TestRunResult synAck = fromPod(synAckFrame, ifA);
        Ipv6 reply = redirected(synAck);
        assertTurnedAround(synAckFrame, synAck.packetOut());
        assertEquals(at(VIP, 80), reply.endpointText(true), "the client's socket sees the frontend");
        assertEquals(at(A, 40000), reply.endpointText(false));

        Ipv6 ack = redirected(fromPod(tcp(A, 40000, VIP, 80, ACK), ifA));
        assertEquals(loopbackPort, ack.sourcePort(), "the connection keeps its loopback port");
        assertEquals(ip(SERVICE_LOOPBACK), ack.source());
        Ipv6 data = redirected(fromPod(tcp(A, 8080, SERVICE_LOOPBACK, loopbackPort, ACK), ifA));
        assertEquals(at(VIP, 80), data.endpointText(true));
        assertEquals(0, policy.maps().dropped(A_ID, TrafficDirection.EGRESS, DropReason.POLICY_DENIED));
        assertEquals(0, policy.maps().dropped(A_ID, TrafficDirection.INGRESS, DropReason.POLICY_DENIED));
    }

    @Test
    void aHairpinDatagramAndItsAnswerAreTranslated() throws Exception {
        services.maps().upsertService(clusterIp(1, UDP), List.of(backend(A, 5353)));
        byte[] query = udp(A, 33333, VIP, 80, "query".getBytes());
        BpfProgram.TestRunResult out = fromPod(query, ifA);
        Ipv6 in = redirected(out);
        assertTurnedAround(query, out.packetOut());
        assertEquals(ip(SERVICE_LOOPBACK), in.source());
        assertEquals(at(A, 5353), in.endpointText(false));

        byte[] answerFrame = udp(A, 5353, SERVICE_LOOPBACK, in.sourcePort(), "answer".getBytes());
        BpfProgram.TestRunResult answer = fromPod(answerFrame, ifA);
        Ipv6 back = redirected(answer);
        assertTurnedAround(answerFrame, answer.packetOut());
        assertEquals(at(VIP, 80), back.endpointText(true));
        assertEquals(at(A, 33333), back.endpointText(false));
    }

    @Test
    void theServiceLoopbackSourceIsDroppedTowardsAPodAndFromTheUplink() throws Exception {
        services.maps().upsertService(clusterIp(1, TCP), List.of(backend(A, 8080)));
        int loopbackPort = redirected(fromPod(tcp(A, 40000, VIP, 80, SYN), ifA)).sourcePort();
        assertEquals(TC_ACT_SHOT, toPod(tcp(SERVICE_LOOPBACK, loopbackPort, A, 8080, ACK), ifA).returnValue(),
                "someone else sending as the service loopback could join A's hairpin connection");
        assertEquals(1, policy.maps().dropped(A_ID, TrafficDirection.INGRESS, DropReason.SOURCE_SPOOFED));
        assertEquals(TC_ACT_SHOT, fromNetdev(tcp(SERVICE_LOOPBACK, loopbackPort, A, 8080, ACK)).returnValue());
        assertEquals(1, policy.maps().dropped(0, TrafficDirection.INGRESS, DropReason.SOURCE_SPOOFED));
        passes(toPod(tcp("fd6a:7574:6500::2", 5000, A, 8080, SYN), ifA));
    }

    @Test
    void anotherPodReachingTheSameBackendIsNotHairpin() throws Exception {
        services.maps().upsertService(clusterIp(1, UDP), List.of(backend(A, 5353)));
        Ipv6 fromB = passes(fromPod(udp(B, 33333, VIP, 80, "q".getBytes()), ifB));
        assertEquals(at(B, 33333), fromB.endpointText(true), "its source stays; policy judges it");
        assertEquals(at(A, 5353), fromB.endpointText(false));
    }
}
