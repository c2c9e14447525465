package dev.jute.dataplane.bpf;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static dev.jute.dataplane.bpf.ChecksummedPackets.*;
import static dev.jute.dataplane.bpf.TestPackets.ACK;
import static dev.jute.dataplane.bpf.TestPackets.SYN;
import static dev.jute.dataplane.bpf.TestPackets.ip;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Service NAT judged packet by packet with BPF_PROG_TEST_RUN: crafted frames with correct
 * checksums go through from_pod / to_pod / from_netdev against crafted map state, and every
 * checksum of what comes out is recomputed from scratch here.
 */
class ServiceProgramTest extends ServiceProgramHarness {

    static final String A = "10.1.0.1";       // client pod
    static final String B = "10.1.0.2";       // backend pod on this node
    static final String C = "10.1.0.3";       // second backend pod on this node
    static final String REMOTE = "10.2.0.5";  // backend pod on another node
    static final String NODE = "10.99.0.1";
    static final String OUTSIDE = "192.0.2.50";
    static final String VIP = "10.96.0.10";

    @BeforeAll
    static void setUp() throws Exception {
        openHarness("svcrun");
    }

    @BeforeEach
    void emptyMaps() {
        resetMaps((Inet4Address) ip(NODE), null, NODE, A, B, C);
    }

    /** Runs and asserts it passes with valid checksums; the parsed output. */
    static Ipv4 passes(BpfProgram.TestRunResult result) {
        assertEquals(TC_ACT_OK, result.returnValue(), () -> "the packet passes; drops: " + policy.maps().drops());
        assertChecksums(result.packetOut());
        return new Ipv4(result.packetOut());
    }

    static ServiceFrontend clusterIp(int id, int protocol) {
        return ServiceFrontend.of(id, ip(VIP), protocol == SCTP ? 9999 : 80, protocol, FrontendScope.INTERNAL);
    }

    static ServiceBackend backend(String address, int port) {
        return new ServiceBackend(ip(address), port, !address.equals(REMOTE));
    }

    // --- ClusterIP -----------------------------------------------------------------------------------

    @Test
    void clusterIpTcpIsTranslatedToTheBackendAndRepliesBackToTheFrontend() throws Exception {
        services.maps().upsertService(clusterIp(1, TCP), List.of(backend(B, 8080)));

        Ipv4 syn = passes(fromPod(tcp(A, 40000, VIP, 80, SYN), ifA));
        assertEquals(ip(A), syn.source());
        assertEquals(ip(B), syn.destination());
        assertEquals(8080, syn.destinationPort());
        assertEquals(40000, syn.sourcePort());

        // The translated SYN is what B's to_pod sees; its reply is reverse-translated at A's to_pod.
        passes(toPod(syn.frame(), ifB));
        Ipv4 synAck = passes(toPod(tcp(B, 8080, A, 40000, SYN | ACK), ifA));
        assertEquals(ip(VIP), synAck.source());
        assertEquals(80, synAck.sourcePort());
        assertEquals(ip(A), synAck.destination());

        Ipv4 ack = passes(fromPod(tcp(A, 40000, VIP, 80, ACK), ifA));
        assertEquals(ip(B), ack.destination(), "later packets keep the backend");
        assertEquals(1, services.maps().connectionCount());
    }

    @Test
    void udpAndSctpAreTranslatedWithValidChecksums() throws Exception {
        services.maps().upsertService(clusterIp(1, UDP), List.of(backend(B, 5353)));
        services.maps().upsertService(clusterIp(2, SCTP), List.of(backend(B, 7777)));

        Ipv4 query = passes(fromPod(udp(A, 33333, VIP, 80, "query".getBytes()), ifA));
        assertEquals(ip(B) + ":5353", "/" + query.endpointText(false));
        Ipv4 answer = passes(toPod(udp(B, 5353, A, 33333, "answer!".getBytes()), ifA));
        assertEquals("/" + VIP + ":80", "/" + answer.endpointText(true));

        Ipv4 init = passes(fromPod(sctpInit(A, 5000, VIP, 9999), ifA));
        assertEquals(ip(B), init.destination());
        assertEquals(7777, init.destinationPort(), "the CRC32c was updated for the new port");
        Ipv4 initAck = passes(toPod(sctpInit(B, 7777, A, 5000), ifA));
        assertEquals(ip(VIP), initAck.source());
        assertEquals(9999, initAck.sourcePort());
    }

    @Test
    void anIcmpErrorFromTheBackendIsTranslatedInsideAndOutside() throws Exception {
        services.maps().upsertService(clusterIp(1, UDP), List.of(backend(B, 5353)));
        Ipv4 query = passes(fromPod(udp(A, 33333, VIP, 80, "query".getBytes()), ifA));

        // B has no socket on 5353: it answers with a port unreachable quoting the translated datagram.
        Ipv4 error = passes(toPod(portUnreachable(B, A, query.frame()), ifA));
        assertEquals(3, error.icmpType());
        assertEquals(ip(VIP), error.source(), "the outer source was the backend: now the frontend");
        Ipv4 quoted = error.quoted();
        assertEquals(ip(A), quoted.source());
        assertEquals(ip(VIP), quoted.destination(), "the quote shows what A sent");
        assertEquals(80, quoted.destinationPort());
        assertEquals(33333, quoted.sourcePort());
    }

    @Test
    void newConnectionsAreSpreadOverTheBackendsAndEachKeepsItsOwn() throws Exception {
        services.maps().upsertService(clusterIp(1, TCP), List.of(backend(B, 8080), backend(C, 8080)));
        Set<InetAddress> chosen = new HashSet<>();
        for (int port = 40000; port < 40032; port++) {
            Ipv4 syn = passes(fromPod(tcp(A, port, VIP, 80, SYN), ifA));
            chosen.add(syn.destination());
            Ipv4 again = passes(fromPod(tcp(A, port, VIP, 80, ACK), ifA));
            assertEquals(syn.destination(), again.destination(), "a connection keeps its backend");
        }
        assertEquals(Set.of(ip(B), ip(C)), chosen, "32 connections reach both backends");
    }

    @Test
    void sessionAffinityKeepsAClientOnOneBackendUntilItTimesOut() throws Exception {
        services.maps().upsertService(clusterIp(1, TCP).withAffinity(300), List.of(backend(B, 8080), backend(C, 8080)));
        InetAddress first = passes(fromPod(tcp(A, 40000, VIP, 80, SYN), ifA)).destination();
        for (int port = 40001; port < 40032; port++) {
            assertEquals(first, passes(fromPod(tcp(A, port, VIP, 80, SYN), ifA)).destination(),
                    "affinity: the same backend for every connection of the client");
        }
        // Age the client's affinity entry past its timeout before each connection: the hash decides again.
        BpfMap affinity = services.maps().map(ServiceMaps.AFFINITY);
        Set<InetAddress> chosen = new HashSet<>();
        for (int port = 41000; port < 41032; port++) {
            for (byte[] key : affinity.keys()) {
                byte[] value = affinity.lookup(key).orElseThrow();
                ByteBuffer.wrap(value).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 1);
                affinity.update(key, value, BpfMap.UPDATE_EXIST);
            }
            chosen.add(passes(fromPod(tcp(A, port, VIP, 80, SYN), ifA)).destination());
        }
        assertEquals(Set.of(ip(B), ip(C)), chosen, "after the timeout the choice may change");
    }

    @Test
    void aRemovedBackendIsNeverChosenThroughAffinityAndItsConnectionsAreReset() throws Exception {
        ServiceFrontend frontend = clusterIp(1, TCP).withAffinity(300);
        services.maps().upsertService(frontend, List.of(backend(B, 8080), backend(C, 8080)));
        Ipv4 syn = passes(fromPod(tcp(A, 40000, VIP, 80, SYN), ifA));
        String removedAddress = syn.destination().getHostAddress();
        String keptAddress = removedAddress.equals(B) ? C : B;
        assertEquals(1, services.maps().upsertService(frontend, List.of(backend(keptAddress, 8080))), "one backend retired");
        assertEquals(1, services.maps().service(frontend.key()).orElseThrow().backends().size(), "surplus slot removed");
        assertEquals(1, services.maps().map(ServiceMaps.BACKENDS).keys().size());
        assertFalse(services.maps().isLive(1, backend(removedAddress, 8080)));
        assertTrue(services.maps().isLive(1, backend(keptAddress, 8080)));

        assertEquals(ip(keptAddress), passes(fromPod(tcp(A, 40001, VIP, 80, SYN), ifA)).destination(),
                "affinity does not lead to the removed backend");
        assertEquals(2, services.maps().connectionCount());

        // The established connection's next segment (seq 1000, ack 5000) is answered with a RST.
        BpfProgram.TestRunResult answer = fromPod(tcp(A, 40000, VIP, 80, ACK), ifA);
        assertEquals(TC_ACT_REDIRECT, answer.returnValue(), "the RST goes straight back into the client pod");
        assertChecksums(answer.packetOut());
        Ipv4 rst = new Ipv4(answer.packetOut());
        assertEquals("/" + VIP + ":80", "/" + rst.endpointText(true), "from the frontend the client is connected to");
        assertEquals("/" + A + ":40000", "/" + rst.endpointText(false));
        assertEquals(TestPackets.RST, rst.tcpFlags());
        assertEquals(5000, rst.tcpSeq(), "seq = the segment's ack: exactly what the client expects next");
        assertEquals(1, services.maps().connectionCount(), "the retired connection's NAT entries are gone, no walk needed");
        assertEquals(1, policy.maps().dropped(A_ID, TrafficDirection.EGRESS, DropReason.SERVICE_BACKEND_RETIRED));

        Ipv4 again = passes(fromPod(tcp(A, 40001, VIP, 80, ACK), ifA));
        assertEquals(ip(keptAddress), again.destination(), "the connection to the live backend goes on");
    }

    @Test
    void aFlowToALiveBackendSurvivesTheRemovalOfAnotherWhileTheRemovedOnesFlowIsReset() throws Exception {
        ServiceFrontend frontend = clusterIp(1, TCP);
        services.maps().upsertService(frontend, List.of(backend(B, 8080), backend(C, 8080)));
        int toB = -1;
        int toC = -1;
        for (int port = 40000; port < 40064 && (toB < 0 || toC < 0); port++) {
            InetAddress chosen = passes(fromPod(tcp(A, port, VIP, 80, SYN), ifA)).destination();
            if (chosen.equals(ip(B))) {
                toB = port;
            } else {
                toC = port;
            }
        }
        assertTrue(toB > 0 && toC > 0, "connections reach both backends");
        // C leaves; B takes slot 1, so a slot check could not tell the connections apart: the live pairs can.
        services.maps().upsertService(frontend, List.of(backend(B, 8080)));
        assertEquals(ip(B), passes(fromPod(tcp(A, toB, VIP, 80, ACK), ifA)).destination(), "B's connection survives");
        BpfProgram.TestRunResult reset = fromPod(tcp(A, toC, VIP, 80, ACK), ifA);
        assertEquals(TC_ACT_REDIRECT, reset.returnValue());
        assertEquals(TestPackets.RST, new Ipv4(reset.packetOut()).tcpFlags());

        // A RST of the client on a retired connection is discarded, never answered.
        services.maps().upsertService(frontend, List.of(backend(C, 8080)));
        int tracked = services.maps().connectionCount();
        BpfProgram.TestRunResult clientReset = fromPod(tcp(A, toB, VIP, 80, TestPackets.RST | ACK), ifA);
        assertEquals(TC_ACT_SHOT, clientReset.returnValue());
        assertEquals(tracked - 1, services.maps().connectionCount(), "the retired connection is forgotten");
    }

    @Test
    void aSynReusingTheTupleOfARetiredConnectionIsBalancedToALiveBackend() throws Exception {
        ServiceFrontend frontend = clusterIp(1, TCP);
        services.maps().upsertService(frontend, List.of(backend(B, 8080)));
        passes(fromPod(tcp(A, 40000, VIP, 80, SYN), ifA));
        services.maps().upsertService(frontend, List.of(backend(C, 8080)));
        // A retransmitted SYN (or the client reusing the 5-tuple) has no state to lose: it connects, no RST.
        Ipv4 syn = passes(fromPod(tcp(A, 40000, VIP, 80, SYN), ifA));
        assertEquals("/" + A + ":40000", "/" + syn.endpointText(true));
        assertEquals("/" + C + ":8080", "/" + syn.endpointText(false), "to the live backend");
        assertEquals(SYN, syn.tcpFlags());
        assertEquals(1, services.maps().connectionCount(), "the retired connection's entries were replaced, not kept beside");
        assertEquals(0, policy.maps().dropped(A_ID, TrafficDirection.EGRESS, DropReason.SERVICE_BACKEND_RETIRED));
        Ipv4 synAck = passes(toPod(tcp(C, 8080, A, 40000, SYN | ACK), ifA));
        assertEquals("/" + VIP + ":80", "/" + synAck.endpointText(true), "the new backend's answer is translated back");
        assertEquals(ip(C), passes(fromPod(tcp(A, 40000, VIP, 80, ACK), ifA)).destination());
    }

    @Test
    void aSynFromOutsideReusingTheTupleOfARetiredNodePortConnectionIsBalancedAnewAndFreesTheOldPort() throws Exception {
        services.maps().upsertService(nodePort(5, false), List.of(backend(REMOTE, 8080)));
        int oldPort = passes(fromNetdev(tcp(OUTSIDE, 5555, NODE, 30080, SYN))).sourcePort();
        services.maps().upsertService(nodePort(5, false), List.of(backend(B, 8080)));
        Ipv4 syn = passes(fromNetdev(tcp(OUTSIDE, 5555, NODE, 30080, SYN)));
        assertEquals("/" + B + ":8080", "/" + syn.endpointText(false));
        assertEquals(ip(NODE), syn.source(), "masqueraded again");
        assertEquals(2, services.maps().map(ServiceMaps.NAT_CT).keys().size(),
                "one forward and one reverse entry: the retired connection's SNAT port " + oldPort + " was released");
        assertEquals(0, policy.maps().dropped(0, TrafficDirection.INGRESS, DropReason.SERVICE_BACKEND_RETIRED));
    }

    @Test
    void aUdpFlowWhoseBackendLeftIsBalancedAnew() throws Exception {
        ServiceFrontend frontend = clusterIp(1, UDP);
        services.maps().upsertService(frontend, List.of(backend(B, 5353)));
        assertEquals(ip(B), passes(fromPod(udp(A, 33333, VIP, 80, "one".getBytes()), ifA)).destination());
        services.maps().upsertService(frontend, List.of(backend(C, 5353)));
        Ipv4 moved = passes(fromPod(udp(A, 33333, VIP, 80, "two".getBytes()), ifA));
        assertEquals(ip(C), moved.destination(), "no reset for a datagram flow: it moves to a live backend");
        Ipv4 reply = passes(toPod(udp(C, 5353, A, 33333, "answer".getBytes()), ifA));
        assertEquals("/" + VIP + ":80", "/" + reply.endpointText(true));
        assertEquals(1, services.maps().connectionCount());
    }

    @Test
    void aDeletedFrontendResetsItsConnections() throws Exception {
        ServiceFrontend frontend = clusterIp(1, TCP);
        services.maps().upsertService(frontend, List.of(backend(B, 8080)));
        passes(fromPod(tcp(A, 40000, VIP, 80, SYN), ifA));
        assertTrue(services.maps().deleteService(frontend.key()));
        assertTrue(services.maps().map(ServiceMaps.LIVE_BACKENDS).keys().isEmpty());
        assertEquals(TC_ACT_REDIRECT, fromPod(tcp(A, 40000, VIP, 80, ACK), ifA).returnValue(), "reset, not hung");
    }

    @Test
    void aMasqueradedNodePortConnectionWhoseBackendLeftIsResetOutOfTheUplinkAndFreesItsPort() throws Exception {
        services.maps().upsertService(nodePort(5, false), List.of(backend(REMOTE, 8080)));
        Ipv4 syn = passes(fromNetdev(tcp(OUTSIDE, 5555, NODE, 30080, SYN)));
        assertEquals(2, services.maps().map(ServiceMaps.NAT_CT).keys().size());
        services.maps().upsertService(nodePort(5, false), List.of(backend(B, 8080)));
        BpfProgram.TestRunResult reset = fromNetdev(tcp(OUTSIDE, 5555, NODE, 30080, ACK));
        assertEquals(TC_ACT_REDIRECT, reset.returnValue(), "back out of the uplink to the client");
        assertChecksums(reset.packetOut());
        Ipv4 rst = new Ipv4(reset.packetOut());
        assertEquals("/" + NODE + ":30080", "/" + rst.endpointText(true));
        assertEquals("/" + OUTSIDE + ":5555", "/" + rst.endpointText(false));
        assertEquals(TestPackets.RST, rst.tcpFlags());
        assertTrue(services.maps().map(ServiceMaps.NAT_CT).keys().isEmpty(),
                "forward entry and SNAT port claim " + syn.sourcePort() + " are gone");
        assertEquals(1, policy.maps().dropped(0, TrafficDirection.INGRESS, DropReason.SERVICE_BACKEND_RETIRED));
    }

    @Test
    void adoptionRepairsTheLivePairsToMatchTheSlots() {
        ServiceMaps maps = services.maps();
        ServiceFrontend frontend = clusterIp(1, TCP);
        maps.upsertService(frontend, List.of(backend(B, 8080), backend(C, 8080)));
        BpfMap live = maps.map(ServiceMaps.LIVE_BACKENDS);
        live.delete(ServiceMapLayouts.liveBackendKey(1, backend(B, 8080)));        // as if pinned by an older agent
        live.update(ServiceMapLayouts.liveBackendKey(9, backend(REMOTE, 8080)), ServiceMapLayouts.liveBackendValue(),
                BpfMap.UPDATE_ANY);                                                    // a pair no slot holds
        assertEquals(2, maps.repairLiveBackends());
        assertTrue(maps.isLive(1, backend(B, 8080)));
        assertTrue(maps.isLive(1, backend(C, 8080)));
        assertFalse(maps.isLive(9, backend(REMOTE, 8080)));
        assertEquals(0, maps.repairLiveBackends());
    }

    // --- hairpin: the client is its own backend ---------------------------------------------------------

    static final String SERVICE_LOOPBACK = "169.254.42.1";

    /** A turned-around frame: back to the sender's MAC, from the MAC it was sent to. */
    static void assertTurnedAround(byte[] sent, byte[] received) {
        assertArrayEquals(java.util.Arrays.copyOfRange(sent, 6, 12), java.util.Arrays.copyOfRange(received, 0, 6));
        assertArrayEquals(java.util.Arrays.copyOfRange(sent, 0, 6), java.util.Arrays.copyOfRange(received, 6, 12));
    }

    @Test
    void aPodReachingItselfThroughAServiceIsHiddenBehindTheServiceLoopbackBothWays() throws Exception {
        services.maps().upsertService(clusterIp(1, TCP), List.of(backend(A, 8080)));
        endpoint(ifA, A_ID, A_IDENTITY, A, true, true); // isolated both ways, nothing allowed: a pod still reaches itself

        byte[] synFrame = tcp(A, 40000, VIP, 80, SYN);
        BpfProgram.TestRunResult syn = fromPod(synFrame, ifA);
        assertEquals(TC_ACT_REDIRECT, syn.returnValue(), "straight back into the pod: " + policy.maps().drops());
        assertChecksums(syn.packetOut());
        assertTurnedAround(synFrame, syn.packetOut());
        Ipv4 in = new Ipv4(syn.packetOut());
        assertEquals(ip(SERVICE_LOOPBACK), in.source(), "not its own address, which its kernel would drop");
        int loopbackPort = in.sourcePort();
        assertTrue(loopbackPort >= 61000 && loopbackPort <= 65535, "port " + loopbackPort);
        assertEquals("/" + A + ":8080", "/" + in.endpointText(false));

        byte[] synAckFrame = tcp(A, 8080, SERVICE_LOOPBACK, loopbackPort, SYN | ACK);
        BpfProgram.TestRunResult synAck = fromPod(synAckFrame, ifA);
        assertEquals(TC_ACT_REDIRECT, synAck.returnValue());
        assertChecksums(synAck.packetOut());
        assertTurnedAround(synAckFrame, synAck.packetOut());
        Ipv4 reply = new Ipv4(synAck.packetOut());
        assertEquals("/" + VIP + ":80", "/" + reply.endpointText(true), "the client's socket sees the frontend");
        assertEquals("/" + A + ":40000", "/" + reply.endpointText(false));

        BpfProgram.TestRunResult ack = fromPod(tcp(A, 40000, VIP, 80, ACK), ifA);
        assertEquals(TC_ACT_REDIRECT, ack.returnValue());
        assertEquals(loopbackPort, new Ipv4(ack.packetOut()).sourcePort(), "the connection keeps its loopback port");
        assertEquals(0, policy.maps().dropped(A_ID, TrafficDirection.EGRESS, DropReason.POLICY_DENIED));

        // Another pod reaching the same backend is not hairpin: its source stays, policy judges it.
        services.maps().upsertService(clusterIp(2, UDP), List.of(backend(A, 5353)));
        BpfProgram.TestRunResult fromB = fromPod(udp(B, 33333, VIP, 80, "q".getBytes()), ifB);
        assertEquals(TC_ACT_OK, fromB.returnValue());
        assertEquals(ip(B), new Ipv4(fromB.packetOut()).source());
    }

    @Test
    void aHairpinDatagramAndItsAnswerAreTranslated() throws Exception {
        services.maps().upsertService(clusterIp(1, UDP), List.of(backend(A, 5353)));
        byte[] query = udp(A, 33333, VIP, 80, "query".getBytes());
        BpfProgram.TestRunResult out = fromPod(query, ifA);
        assertEquals(TC_ACT_REDIRECT, out.returnValue());
        assertChecksums(out.packetOut());
        Ipv4 in = new Ipv4(out.packetOut());
        assertEquals(ip(SERVICE_LOOPBACK), in.source());
        assertEquals("/" + A + ":5353", "/" + in.endpointText(false));
        BpfProgram.TestRunResult answer = fromPod(udp(A, 5353, SERVICE_LOOPBACK, in.sourcePort(), "answer".getBytes()), ifA);
        assertEquals(TC_ACT_REDIRECT, answer.returnValue());
        assertChecksums(answer.packetOut());
        Ipv4 back = new Ipv4(answer.packetOut());
        assertEquals("/" + VIP + ":80", "/" + back.endpointText(true));
        assertEquals("/" + A + ":33333", "/" + back.endpointText(false));
    }

    @Test
    void nobodyElseCanUseAPodsHairpinEntry() throws Exception {
        services.maps().upsertService(clusterIp(1, TCP), List.of(backend(A, 8080)));
        int loopbackPort = new Ipv4(fromPod(tcp(A, 40000, VIP, 80, SYN), ifA).packetOut()).sourcePort();
        // B pretending to be A's reply is stopped by the source check before any translation.
        assertEquals(TC_ACT_SHOT, fromPod(tcp(A, 8080, SERVICE_LOOPBACK, loopbackPort, SYN | ACK), ifB).returnValue());
        assertEquals(1, policy.maps().dropped(B_ID, TrafficDirection.EGRESS, DropReason.SOURCE_SPOOFED));
        // The same reply tuple arriving at to_pod (not from the pod itself) is not translated.
        Ipv4 passed = passes(toPod(tcp(A, 8080, SERVICE_LOOPBACK, loopbackPort, SYN | ACK), ifB));
        assertEquals(ip(A), passed.source());
    }

    @Test
    void theServiceLoopbackSourceIsDroppedTowardsAPodAndFromTheUplink() throws Exception {
        services.maps().upsertService(clusterIp(1, TCP), List.of(backend(A, 8080)));
        int loopbackPort = new Ipv4(fromPod(tcp(A, 40000, VIP, 80, SYN), ifA).packetOut()).sourcePort();
        // Someone else sending as the service loopback could join A's hairpin connection (its socket's peer).
        assertEquals(TC_ACT_SHOT, toPod(tcp(SERVICE_LOOPBACK, loopbackPort, A, 8080, ACK), ifA).returnValue());
        assertEquals(1, policy.maps().dropped(A_ID, TrafficDirection.INGRESS, DropReason.SOURCE_SPOOFED));
        assertEquals(TC_ACT_SHOT, fromNetdev(tcp(SERVICE_LOOPBACK, loopbackPort, A, 8080, ACK)).returnValue());
        assertEquals(1, policy.maps().dropped(0, TrafficDirection.INGRESS, DropReason.SOURCE_SPOOFED));
        // Its neighbours still pass: the check is for that one address.
        passes(toPod(tcp("169.254.42.2", 5000, A, 8080, SYN), ifA));
        passes(fromNetdev(tcp("169.254.42.2", 5000, NODE, 22, SYN)));
    }

    // --- no backends ---------------------------------------------------------------------------------

    @Test
    void aServiceWithoutBackendsRefusesTcpWithAReset() throws Exception {
        services.maps().upsertService(clusterIp(1, TCP), List.of());
        BpfProgram.TestRunResult result = fromPod(tcp(A, 40000, VIP, 80, SYN), ifA);
        assertEquals(TC_ACT_REDIRECT, result.returnValue(), "sent straight back into the pod");
        byte[] frame = result.packetOut();
        assertEquals(54, frame.length);
        assertChecksums(frame);
        Ipv4 rst = new Ipv4(frame);
        assertEquals(ip(VIP), rst.source());
        assertEquals(80, rst.sourcePort());
        assertEquals(ip(A), rst.destination());
        assertEquals(40000, rst.destinationPort());
        assertEquals(TestPackets.RST | ACK, rst.tcpFlags());
        assertEquals(1001, rst.tcpAck(), "acknowledges the SYN (seq 1000 + 1)");
        assertEquals(0, rst.tcpSeq());
        byte[] original = tcp(A, 40000, VIP, 80, SYN);
        assertArrayEquals(java.util.Arrays.copyOfRange(original, 6, 12), java.util.Arrays.copyOfRange(frame, 0, 6),
                "to the pod's MAC");
    }

    @Test
    void aServiceWithoutBackendsRefusesUdpWithPortUnreachable() throws Exception {
        services.maps().upsertService(clusterIp(1, UDP), List.of());
        byte[] datagram = udp(A, 33333, VIP, 80, "hello?".getBytes());
        BpfProgram.TestRunResult result = fromPod(datagram, ifA);
        assertEquals(TC_ACT_REDIRECT, result.returnValue());
        assertEquals(70, result.packetOut().length);
        assertChecksums(result.packetOut());
        Ipv4 unreachable = new Ipv4(result.packetOut());
        assertEquals(ip(VIP), unreachable.source());
        assertEquals(ip(A), unreachable.destination());
        assertEquals(3, unreachable.icmpType());
        assertEquals(3, unreachable.icmpCode(), "port unreachable");
        Ipv4 quoted = unreachable.quoted();
        assertEquals(ip(VIP), quoted.destination());
        assertEquals(33333, quoted.sourcePort());
    }

    @Test
    void withoutRejectAServiceWithoutBackendsDropsAndCounts() throws Exception {
        services.maps().upsertService(clusterIp(1, TCP).withRejectWithoutBackends(false), List.of());
        assertEquals(TC_ACT_SHOT, fromPod(tcp(A, 40000, VIP, 80, SYN), ifA).returnValue());
        assertEquals(1, policy.maps().dropped(A_ID, TrafficDirection.EGRESS, DropReason.SERVICE_NO_BACKEND));
    }

    // --- policy on the translated packet -------------------------------------------------------------

    @Test
    void egressPolicyJudgesTheBackendNotTheFrontend() throws Exception {
        services.maps().upsertService(clusterIp(1, TCP), List.of(backend(B, 8080)));
        endpoint(ifA, A_ID, A_IDENTITY, A, false, true);
        assertEquals(TC_ACT_SHOT, fromPod(tcp(A, 40000, VIP, 80, SYN), ifA).returnValue(), "isolated, nothing allowed");
        assertEquals(0, services.maps().connectionCount(), "a denied connection leaves no NAT entry");

        policy.maps().putPolicy(PolicyKey.port(A_ID, TrafficDirection.EGRESS, new PolicyPeer.Identity(B_IDENTITY),
                PolicyKey.TCP, 8080));
        Ipv4 syn = passes(fromPod(tcp(A, 40001, VIP, 80, SYN), ifA));
        assertEquals(ip(B), syn.destination(), "allowed: to B's identity on the target port 8080, not VIP:80");
        Ipv4 synAck = passes(toPod(tcp(B, 8080, A, 40001, SYN | ACK), ifA));
        assertEquals(ip(VIP), synAck.source(), "the reply passes A's conntrack as B, then is translated");
    }

    @Test
    void ingressPolicyOfTheBackendSeesTheClient() throws Exception {
        services.maps().upsertService(clusterIp(1, TCP), List.of(backend(B, 8080)));
        endpoint(ifB, B_ID, B_IDENTITY, B, true, false);
        Ipv4 syn = passes(fromPod(tcp(A, 40000, VIP, 80, SYN), ifA));
        assertEquals(TC_ACT_SHOT, toPod(syn.frame(), ifB).returnValue(), "B denies everything");

        policy.maps().putPolicy(PolicyKey.port(B_ID, TrafficDirection.INGRESS, new PolicyPeer.Identity(A_IDENTITY),
                PolicyKey.TCP, 8080));
        Ipv4 allowed = passes(fromPod(tcp(A, 40001, VIP, 80, SYN), ifA));
        passes(toPod(allowed.frame(), ifB));
    }

    // --- NodePort / LoadBalancer ---------------------------------------------------------------------

    static ServiceFrontend nodePort(int id, boolean local) {
        return ServiceFrontend.of(id, ip(NODE), 30080, TCP, FrontendScope.EXTERNAL).withExternalTrafficLocal(local);
    }

    @Test
    void nodePortClusterMasqueradesAndTranslatesRepliesFromALocalBackend() throws Exception {
        services.maps().upsertService(nodePort(5, false), List.of(backend(B, 8080)));
        Ipv4 syn = passes(fromNetdev(tcp(OUTSIDE, 5555, NODE, 30080, SYN)));
        assertEquals(ip(B), syn.destination());
        assertEquals(8080, syn.destinationPort());
        assertEquals(ip(NODE), syn.source(), "the client is hidden behind the node");
        int snatPort = syn.sourcePort();
        assertTrue(snatPort >= 61000 && snatPort <= 65535, "SNAT port " + snatPort);

        passes(toPod(syn.frame(), ifB));
        Ipv4 synAck = passes(fromPod(tcp(B, 8080, NODE, snatPort, SYN | ACK), ifB));
        assertEquals(ip(NODE), synAck.source());
        assertEquals(30080, synAck.sourcePort());
        assertEquals(ip(OUTSIDE), synAck.destination());
        assertEquals(5555, synAck.destinationPort());

        Ipv4 ack = passes(fromNetdev(tcp(OUTSIDE, 5555, NODE, 30080, ACK)));
        assertEquals(snatPort, ack.sourcePort(), "the connection keeps its SNAT port");
    }

    @Test
    void nodePortClusterTranslatesRepliesFromARemoteBackendOnTheUplink() throws Exception {
        services.maps().upsertService(nodePort(5, false), List.of(backend(REMOTE, 8080)));
        Ipv4 syn = passes(fromNetdev(tcp(OUTSIDE, 5555, NODE, 30080, SYN)));
        assertEquals(ip(REMOTE), syn.destination());
        Ipv4 synAck = passes(fromNetdev(tcp(REMOTE, 8080, NODE, syn.sourcePort(), SYN | ACK)));
        assertEquals("/" + NODE + ":30080", "/" + synAck.endpointText(true));
        assertEquals("/" + OUTSIDE + ":5555", "/" + synAck.endpointText(false));
    }

    @Test
    void twoClientsWithTheSamePortGetDifferentSnatPorts() throws Exception {
        services.maps().upsertService(nodePort(5, false), List.of(backend(REMOTE, 8080)));
        int first = passes(fromNetdev(tcp(OUTSIDE, 5555, NODE, 30080, SYN))).sourcePort();
        int second = passes(fromNetdev(tcp("192.0.2.51", 5555, NODE, 30080, SYN))).sourcePort();
        assertNotEquals(first, second);
    }

    @Test
    void nodePortLocalKeepsTheClientAndUsesLocalBackendsOnly() throws Exception {
        services.maps().upsertService(nodePort(5, true), List.of(backend(REMOTE, 8080), backend(B, 8080)));
        for (int port = 5000; port < 5016; port++) {
            Ipv4 syn = passes(fromNetdev(tcp(OUTSIDE, port, NODE, 30080, SYN)));
            assertEquals(ip(B), syn.destination(), "only the local backend");
            assertEquals(ip(OUTSIDE), syn.source(), "the client address is kept");
            assertEquals(port, syn.sourcePort());
        }
        Ipv4 synAck = passes(fromPod(tcp(B, 8080, OUTSIDE, 5000, SYN | ACK), ifB));
        assertEquals("/" + NODE + ":30080", "/" + synAck.endpointText(true));
        assertEquals("/" + OUTSIDE + ":5000", "/" + synAck.endpointText(false));
    }

    @Test
    void nodePortLocalWithoutLocalBackendsDropsOrRejects() throws Exception {
        services.maps().upsertService(nodePort(5, true).withRejectWithoutBackends(false), List.of(backend(REMOTE, 8080)));
        assertEquals(TC_ACT_SHOT, fromNetdev(tcp(OUTSIDE, 5555, NODE, 30080, SYN)).returnValue());
        assertEquals(1, policy.maps().dropped(0, TrafficDirection.INGRESS, DropReason.SERVICE_NO_BACKEND));

        services.maps().upsertService(nodePort(5, true), List.of(backend(REMOTE, 8080)));
        BpfProgram.TestRunResult refused = fromNetdev(tcp(OUTSIDE, 5556, NODE, 30080, SYN));
        assertEquals(TC_ACT_REDIRECT, refused.returnValue(), "back out of the uplink");
        assertChecksums(refused.packetOut());
        assertEquals(ip(OUTSIDE), new Ipv4(refused.packetOut()).destination());
    }

    @Test
    void internalScopeDoesNotServeTheUplinkNorTheOtherWayRound() throws Exception {
        services.maps().upsertService(clusterIp(1, TCP), List.of(backend(B, 8080)));
        services.maps().upsertService(nodePort(5, false), List.of(backend(B, 8080)));
        Ipv4 fromOutside = passes(fromNetdev(tcp(OUTSIDE, 5555, VIP, 80, SYN)));
        assertEquals(ip(VIP), fromOutside.destination(), "a ClusterIP is not an external frontend");
        Ipv4 fromPod = passes(fromPod(tcp(A, 40000, NODE, 30080, SYN), ifA));
        assertEquals(ip(NODE), fromPod.destination(), "no internal frontend on the node port here");
    }

    // --- the map API ---------------------------------------------------------------------------------

    @Test
    void theServiceIdsTrackedConnectionsCarryAreReportedWithTheirLatestExpiryOnTheProgramsClock() throws Exception {
        ServiceFrontend web = clusterIp(1, TCP);
        services.maps().upsertService(web, List.of(backend(B, 8080)));
        services.maps().upsertService(clusterIp(2, UDP), List.of(backend(B, 5353)));
        long before = System.nanoTime();
        passes(fromPod(tcp(A, 40000, VIP, 80, SYN), ifA));
        passes(fromPod(tcp(A, 40000, VIP, 80, ACK), ifA)); // established: the longest lifetime
        passes(fromPod(udp(A, 33333, VIP, 80, "q".getBytes()), ifA));
        long after = System.nanoTime();

        java.util.Map<Integer, Long> carried = services.maps().connectionServiceIds(after);
        assertEquals(Set.of(1, 2), carried.keySet());
        long longest = ServiceMaps.LONGEST_CONNECTION_LIFETIME.toNanos();
        // System.nanoTime and bpf_ktime_get_ns are both CLOCK_MONOTONIC: the expiry lies within the window.
        assertTrue(carried.get(1) - before >= longest && carried.get(1) - after <= longest,
                "established TCP expires " + (carried.get(1) - after) + " ns after now");
        long datagram = java.time.Duration.ofSeconds(60).toNanos();
        assertTrue(carried.get(2) - before >= datagram && carried.get(2) - after <= datagram);

        // A deleted frontend's connections still carry its id until they expire: why the agent quarantines ids.
        assertTrue(services.maps().deleteService(web.key()));
        assertEquals(Set.of(1, 2), services.maps().connectionServiceIds(System.nanoTime()).keySet());
        assertEquals(Set.of(1), services.maps().connectionServiceIds(after + datagram + 1).keySet());
        assertTrue(services.maps().connectionServiceIds(after + longest + 1).isEmpty(), "expired entries are a miss");
    }

    @Test
    void servicesAreListedWithTheirBackendsLocalFirstAndDeletedCleanly() {
        ServiceMaps maps = services.maps();
        ServiceFrontend frontend = clusterIp(1, TCP).withAffinity(60).withInternalTrafficLocal(true);
        maps.upsertService(frontend, List.of(backend(REMOTE, 8080), backend(B, 8080), backend(C, 8081)));
        List<ServiceEntry> listed = maps.services();
        assertEquals(1, listed.size());
        assertEquals(frontend, listed.getFirst().frontend());
        assertEquals(List.of(backend(B, 8080), backend(C, 8081), backend(REMOTE, 8080)), listed.getFirst().backends());

        assertThrows(IllegalArgumentException.class, () -> maps.upsertService(clusterIp(2, TCP),
                List.of(new ServiceBackend(ip("fd00::1"), 80, true))), "a backend of the other family");
        assertTrue(maps.deleteService(frontend.key()));
        assertFalse(maps.deleteService(frontend.key()));
        assertTrue(maps.services().isEmpty());
        assertTrue(maps.map(ServiceMaps.BACKENDS).keys().isEmpty());
        assertTrue(maps.map(ServiceMaps.LIVE_BACKENDS).keys().isEmpty());
        assertTrue(maps.map(ServiceMaps.REVNAT).keys().isEmpty());
    }
}
