package dev.jute.dataplane.bpf;

import dev.jute.dataplane.NetNamespace;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.nio.file.Path;
import java.util.List;

import static dev.jute.dataplane.bpf.TestPackets.*;
import static dev.jute.dataplane.bpf.TrafficDirection.EGRESS;
import static dev.jute.dataplane.bpf.TrafficDirection.INGRESS;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The programs judged packet by packet with BPF_PROG_TEST_RUN: crafted frames against crafted
 * map state. The skb's interface is set through the test-run context ({@code __sk_buff.ifindex});
 * the kernel resolves it in the caller's namespace, so the runs happen inside a scratch namespace
 * holding one veth per endpoint.
 */
class PolicyProgramTest {

    static final int TC_ACT_OK = 0;
    static final int TC_ACT_SHOT = 2;

    static final String A = "10.1.0.1";
    static final String B = "10.1.0.2";
    static final String A6 = "fd01::1";
    static final String B6 = "fd01::2";
    static final String WORLD = "192.0.2.9";
    static final String NODE = "10.99.0.1";
    static final int A_ID = 11;
    static final int B_ID = 22;
    static final int A_IDENTITY = 1000;
    static final int B_IDENTITY = 2000;
    static final int HOST_IDENTITY = 1;

    static BpfTestEnvironment environment;
    static NetNamespace namespace;
    static PolicyDataplane dataplane;
    static PolicyMaps maps;
    static int ifA;
    static int ifB;
    static int ifUnknown;

    @BeforeAll
    static void setUp() throws Exception {
        if (BpfTestEnvironment.unavailableReason().isPresent()) {
            return; // each test skips with the reason
        }
        BpfTestEnvironment.removeLeftovers();
        environment = new BpfTestEnvironment();
        String ns = environment.createNamespace("testrun");
        for (String link : List.of("a0", "b0", "u0")) {
            // veth: the kernel here has no dummy driver, and it is what pods use anyway.
            BpfTestEnvironment.run("ip", "-n", ns, "link", "add", link, "type", "veth", "peer", "name", link + "p");
        }
        ifA = BpfTestEnvironment.ifindex(ns, "a0");
        ifB = BpfTestEnvironment.ifindex(ns, "b0");
        ifUnknown = BpfTestEnvironment.ifindex(ns, "u0");
        namespace = BpfTestEnvironment.open(ns);
        dataplane = PolicyDataplane.open(environment.bpfFilesystem().resolve("node"));
        maps = dataplane.maps();
    }

    @AfterAll
    static void tearDown() {
        if (dataplane != null) {
            dataplane.close();
        }
        if (namespace != null) {
            namespace.close();
        }
        if (environment != null) {
            environment.close();
        }
    }

    @BeforeEach
    void emptyMaps() {
        BpfTestEnvironment.assumeBpf();
        // Through the typed API first, so the CIDR reference counts follow.
        maps.deletePolicies(maps.policies().stream().map(PolicyEntry::key).toList());
        for (String name : PolicyMaps.NAMES) {
            BpfMap map = maps.map(name);
            for (byte[] key : map.keys()) {
                map.delete(key);
            }
        }
        maps.putIpcache(IpPrefix.parse(A), A_IDENTITY);
        maps.putIpcache(IpPrefix.parse(B), B_IDENTITY);
        maps.putIpcache(IpPrefix.parse(A6), A_IDENTITY);
        maps.putIpcache(IpPrefix.parse(B6), B_IDENTITY);
        maps.putIpcache(IpPrefix.parse(NODE), HOST_IDENTITY);
    }

    static void endpoint(int ifindex, int id, int identity, boolean ingressIsolated, boolean egressIsolated,
                         String v4, String v6) {
        maps.putEndpoint(ifindex, new EndpointInfo(id, identity, ingressIsolated, egressIsolated,
                (Inet4Address) ip(v4), (Inet6Address) ip(v6)));
    }

    static void podA(boolean ingressIsolated, boolean egressIsolated) {
        endpoint(ifA, A_ID, A_IDENTITY, ingressIsolated, egressIsolated, A, A6);
    }

    static void podB(boolean ingressIsolated, boolean egressIsolated) {
        endpoint(ifB, B_ID, B_IDENTITY, ingressIsolated, egressIsolated, B, B6);
    }

    /** Pod A sends the frame: from_pod on A's veth. */
    static int fromA(byte[] frame) throws Exception {
        return run(dataplane.fromPodProgram(), frame, ifA);
    }

    static int toA(byte[] frame) throws Exception {
        return run(dataplane.toPodProgram(), frame, ifA);
    }

    static int fromB(byte[] frame) throws Exception {
        return run(dataplane.fromPodProgram(), frame, ifB);
    }

    static int toB(byte[] frame) throws Exception {
        return run(dataplane.toPodProgram(), frame, ifB);
    }

    static int run(BpfProgram program, byte[] frame, int ifindex) throws Exception {
        return namespace.call(() -> program.testRun(frame, ifindex, 1).returnValue());
    }

    static PolicyPeer identity(int identity) {
        return new PolicyPeer.Identity(identity);
    }

    static PolicyPeer cidr(String text) {
        return new PolicyPeer.Cidr(IpPrefix.parse(text));
    }

    @Test
    void tcpConnectionAllowedByIdentityAndPortRepliesPassAndTheReverseDirectionStaysDenied() throws Exception {
        podA(false, false);
        podB(true, true); // B: ingress from A on TCP 80 only, no egress at all
        maps.putPolicy(PolicyKey.port(B_ID, INGRESS, identity(A_IDENTITY), PolicyKey.TCP, 80));

        assertEquals(TC_ACT_OK, fromA(tcp(A, 40000, B, 80, SYN)), "A's egress is open");
        assertEquals(TC_ACT_OK, toB(tcp(A, 40000, B, 80, SYN)), "B's ingress allows A on 80");
        assertEquals(TC_ACT_OK, fromB(tcp(B, 80, A, 40000, SYN | ACK)), "the reply leaves B although B's egress allows nothing");
        assertEquals(TC_ACT_OK, toB(tcp(A, 40000, B, 80, ACK)), "established: conntrack");
        assertEquals(TC_ACT_OK, fromB(tcp(B, 80, A, 40000, ACK)));

        assertEquals(TC_ACT_SHOT, fromB(tcp(B, 5555, A, 80, SYN)), "B opening its own connection is egress");
        assertEquals(TC_ACT_SHOT, fromB(tcp(B, 80, A, 40000, SYN)), "a SYN on the reply tuple opens, it does not reply");
        assertEquals(TC_ACT_SHOT, toB(tcp(A, 40001, B, 81, SYN)), "port 81 is not allowed");
        assertEquals(TC_ACT_SHOT, toB(tcp(WORLD, 40001, B, 80, SYN)), "the world is not identity A");
        assertEquals(TC_ACT_SHOT, toB(udp(A, 40001, B, 80)), "TCP 80 is not UDP 80");

        assertEquals(2, maps.dropped(B_ID, EGRESS, DropReason.POLICY_DENIED));
        assertEquals(3, maps.dropped(B_ID, INGRESS, DropReason.POLICY_DENIED));
        assertEquals(0, maps.dropped(A_ID, EGRESS, DropReason.POLICY_DENIED));

        ConntrackEntry atB = maps.conntrack().stream().filter(c -> c.endpointId() == B_ID).findFirst().orElseThrow();
        assertEquals(ip(A), atB.source());
        assertEquals(40000, atB.sourcePort());
        assertEquals(ip(B), atB.destination());
        assertEquals(80, atB.destinationPort());
        assertEquals(INGRESS, atB.direction());
        assertTrue(atB.seenReply());
        assertTrue(atB.expiresNanos() - System.nanoTime() > 3_600_000_000_000L, "established TCP lives for hours");
        assertEquals(1, maps.policies().getFirst().admitted(), "the entry admitted one connection");
    }

    @Test
    void finAndRstShortenTheConnectionsLifetime() throws Exception {
        podA(false, false);
        assertEquals(TC_ACT_OK, fromA(tcp(A, 40000, B, 80, SYN)));
        ConntrackEntry opening = maps.conntrack().getFirst();
        long opensFor = opening.expiresNanos() - System.nanoTime();
        assertTrue(opensFor > 30_000_000_000L && opensFor <= 60_000_000_000L, "an unanswered SYN lives 60 s: " + opensFor);
        assertEquals(TC_ACT_OK, toA(tcp(B, 80, A, 40000, SYN | ACK)));
        assertTrue(maps.conntrack().getFirst().expiresNanos() - System.nanoTime() > 3_600_000_000_000L);
        assertEquals(TC_ACT_OK, toA(tcp(B, 80, A, 40000, RST | ACK)));
        ConntrackEntry closing = maps.conntrack().getFirst();
        assertTrue(closing.closing());
        assertTrue(closing.expiresNanos() - System.nanoTime() <= 10_000_000_000L, "closing lives 10 s");
    }

    @Test
    void portRangesArePrefixes() throws Exception {
        podA(false, false);
        podB(true, false);
        List<PolicyKey> range = PolicyKey.portRange(B_ID, INGRESS, identity(A_IDENTITY), PolicyKey.UDP, 80, 95);
        assertEquals(1, range.size(), "80-95 is the single prefix 80/12: " + range);
        maps.putPolicies(range);
        assertEquals(TC_ACT_SHOT, toB(udp(A, 1000, B, 79)));
        assertEquals(TC_ACT_OK, toB(udp(A, 1001, B, 80)));
        assertEquals(TC_ACT_OK, toB(udp(A, 1002, B, 87)));
        assertEquals(TC_ACT_OK, toB(udp(A, 1003, B, 95)));
        assertEquals(TC_ACT_SHOT, toB(udp(A, 1004, B, 96)));

        List<PolicyKey> odd = PolicyKey.portRange(B_ID, INGRESS, identity(A_IDENTITY), PolicyKey.UDP, 1000, 1030);
        assertTrue(odd.size() > 1);
        maps.putPolicies(odd);
        assertEquals(TC_ACT_SHOT, toB(udp(A, 2000, B, 999)));
        assertEquals(TC_ACT_OK, toB(udp(A, 2001, B, 1000)));
        assertEquals(TC_ACT_OK, toB(udp(A, 2002, B, 1024)));
        assertEquals(TC_ACT_OK, toB(udp(A, 2003, B, 1030)));
        assertEquals(TC_ACT_SHOT, toB(udp(A, 2004, B, 1031)));
    }

    @Test
    void wildcardPeerAndWildcardProtocolEntries() throws Exception {
        podA(false, false);
        podB(true, false);
        maps.putPolicy(PolicyKey.port(B_ID, INGRESS, PolicyPeer.ANY, PolicyKey.TCP, 443));
        assertEquals(TC_ACT_OK, toB(tcp(WORLD, 1, B, 443, SYN)), "any peer, world included");
        assertEquals(TC_ACT_OK, toB(tcp(A, 2, B, 443, SYN)));
        assertEquals(TC_ACT_SHOT, toB(tcp(WORLD, 3, B, 444, SYN)));
        assertEquals(TC_ACT_SHOT, toB(echoRequest(A, B, 7)), "a rule with ports never matches ICMP");

        maps.putPolicy(PolicyKey.anyProtocol(B_ID, INGRESS, identity(A_IDENTITY)));
        assertEquals(TC_ACT_OK, toB(udp(A, 4, B, 53)), "every protocol and port of A");
        assertEquals(TC_ACT_OK, toB(tcp(A, 5, B, 1, SYN)));
        assertEquals(TC_ACT_OK, toB(sctp(A, 6, B, 9999)));
        assertEquals(TC_ACT_OK, toB(echoRequest(A, B, 8)), "a rule without ports matches ICMP");
        assertEquals(TC_ACT_SHOT, toB(udp(WORLD, 7, B, 53)));
    }

    @Test
    void sctpPortsAreReadLikeTcpAndUdp() throws Exception {
        podA(false, false);
        podB(true, false);
        maps.putPolicy(PolicyKey.port(B_ID, INGRESS, identity(A_IDENTITY), PolicyKey.SCTP, 5000));
        maps.putPolicy(PolicyKey.port(B_ID, INGRESS, identity(A_IDENTITY), PolicyKey.TCP, 6000));
        assertEquals(TC_ACT_OK, toB(sctp(A, 1, B, 5000)));
        assertEquals(TC_ACT_SHOT, toB(sctp(A, 2, B, 5001)));
        assertEquals(TC_ACT_SHOT, toB(sctp(A, 3, B, 6000)), "a TCP port does not allow SCTP");
        assertEquals(TC_ACT_OK, fromB(sctp(B, 5000, A, 1)), "reply (B's egress is open anyway)");
    }

    @Test
    void echoRepliesPassOnceTheRequestWasAllowedButRequestsBackAreJudged() throws Exception {
        podA(true, true); // A may ping B, nothing may reach A
        podB(false, false);
        maps.putPolicy(PolicyKey.anyProtocol(A_ID, EGRESS, identity(B_IDENTITY)));
        assertEquals(TC_ACT_SHOT, toA(echoReply(B, A, 99)), "an unsolicited reply is judged by policy");
        assertEquals(TC_ACT_OK, fromA(echoRequest(A, B, 99)));
        assertEquals(TC_ACT_OK, toA(echoReply(B, A, 99)), "the reply of an allowed request");
        assertEquals(TC_ACT_SHOT, toA(echoReply(B, A, 100)), "another identifier is another flow");
        assertEquals(TC_ACT_SHOT, toA(echoRequest(B, A, 99)), "a request back opens a flow: judged");
        assertEquals(TC_ACT_SHOT, fromA(echoRequest(A, WORLD, 1)));

        assertEquals(TC_ACT_OK, fromA(echoRequest(A6, B6, 5)), "IPv6 echo");
        assertEquals(TC_ACT_OK, toA(echoReply(B6, A6, 5)));
        assertEquals(TC_ACT_SHOT, toA(echoReply(B6, A6, 6)));
    }

    @Test
    void icmpErrorsAboutATrackedFlowPassOthersAreJudged() throws Exception {
        podA(true, true);
        maps.putPolicy(PolicyKey.port(A_ID, EGRESS, cidr("192.0.2.0/24"), PolicyKey.UDP, 53));
        byte[] query = ip(A, WORLD, UDP, udpHeader(33333, 53, 16));
        assertEquals(TC_ACT_OK, fromA(frame(query)));
        assertEquals(TC_ACT_OK, toA(destinationUnreachable("198.51.100.1", A, query)), "about the tracked query");
        byte[] other = ip(A, WORLD, UDP, udpHeader(33334, 53, 16));
        assertEquals(TC_ACT_SHOT, toA(destinationUnreachable("198.51.100.1", A, other)), "about nothing tracked");

        maps.putPolicy(PolicyKey.port(A_ID, EGRESS, cidr("fd00:9::/32"), PolicyKey.TCP, 443));
        byte[] query6 = ip(A6, "fd00:9::1", TCP, tcpHeader(44444, 443, SYN));
        assertEquals(TC_ACT_OK, fromA(frame(query6)));
        assertEquals(TC_ACT_OK, toA(destinationUnreachable("fd00:ff::1", A6, query6)));
        byte[] other6 = ip(A6, "fd00:9::1", TCP, tcpHeader(44445, 443, SYN));
        assertEquals(TC_ACT_SHOT, toA(destinationUnreachable("fd00:ff::1", A6, other6)));

        assertEquals(TC_ACT_OK, toA(neighbourSolicitation("fe80::1", A6)), "neighbour discovery always passes");
    }

    @Test
    void theLongestCidrOfTheEndpointDecidesAndRemovingItFallsBackToTheShorterOne() throws Exception {
        podA(false, true);
        PolicyKey wide80 = PolicyKey.port(A_ID, EGRESS, cidr("10.0.0.0/8"), PolicyKey.TCP, 80);
        // As the policy compiler emits them: the /16 repeats what the /8 allows (closed under LPM).
        PolicyKey narrow80 = PolicyKey.port(A_ID, EGRESS, cidr("10.1.0.0/16"), PolicyKey.TCP, 80);
        PolicyKey narrow443 = PolicyKey.port(A_ID, EGRESS, cidr("10.1.0.0/16"), PolicyKey.TCP, 443);
        maps.putPolicies(List.of(wide80, narrow80, narrow443));
        assertEquals(TC_ACT_OK, fromA(tcp(A, 1, "10.1.2.3", 443, SYN)));
        assertEquals(TC_ACT_OK, fromA(tcp(A, 2, "10.1.2.3", 80, SYN)));
        assertEquals(TC_ACT_OK, fromA(tcp(A, 3, "10.2.0.1", 80, SYN)));
        assertEquals(TC_ACT_SHOT, fromA(tcp(A, 4, "10.2.0.1", 443, SYN)));
        assertEquals(TC_ACT_SHOT, fromA(tcp(A, 5, "11.0.0.1", 80, SYN)));
        assertEquals(TC_ACT_OK, fromA(tcp(A, 6, B, 80, SYN)), "pods are addresses too for CIDR peers");

        maps.deletePolicy(narrow443);
        assertEquals(TC_ACT_SHOT, fromA(tcp(A, 7, "10.1.2.3", 443, SYN)));
        assertEquals(TC_ACT_OK, fromA(tcp(A, 8, "10.1.2.3", 80, SYN)), "the /16 still has an entry");
        maps.deletePolicy(narrow80);
        assertEquals(1, maps.map(PolicyMaps.POLICY_CIDRS).keys().size(), "the /16 prefix row went with its last entry");
        assertEquals(TC_ACT_OK, fromA(tcp(A, 9, "10.1.2.3", 80, SYN)), "now the /8 decides");

        PolicyKey all6 = PolicyKey.anyProtocol(A_ID, EGRESS, cidr("::/0"));
        maps.putPolicy(all6);
        assertEquals(TC_ACT_OK, fromA(tcp(A6, 10, "2001:db8::1", 22, SYN)));
        assertEquals(TC_ACT_SHOT, fromA(tcp(A, 11, "11.0.0.1", 22, SYN)), "::/0 does not cover IPv4");
    }

    @Test
    void ipv6ConnectionsAreJudgedByIdentityLikeIpv4() throws Exception {
        podA(false, false);
        podB(true, true);
        maps.putPolicy(PolicyKey.port(B_ID, INGRESS, identity(A_IDENTITY), PolicyKey.TCP, 8080));
        assertEquals(TC_ACT_OK, toB(tcp(A6, 50000, B6, 8080, SYN)));
        assertEquals(TC_ACT_OK, fromB(tcp(B6, 8080, A6, 50000, SYN | ACK)));
        assertEquals(TC_ACT_SHOT, toB(tcp("fd01::77", 50001, B6, 8080, SYN)), "an unknown address is the world");
        assertEquals(TC_ACT_SHOT, fromB(tcp(B6, 1, A6, 8080, SYN)));
    }

    @Test
    void fragmentsFollowTheirFirstFragment() throws Exception {
        podA(true, true);
        maps.putPolicy(PolicyKey.port(A_ID, EGRESS, cidr("0.0.0.0/0"), PolicyKey.UDP, 53));
        byte[] firstAllowed = frame(ipv4(A, WORLD, UDP, 77, 0, true, udpHeader(1111, 53, 1472)));
        byte[] laterAllowed = frame(ipv4(A, WORLD, UDP, 77, 185, false, new byte[100]));
        byte[] laterUnknown = frame(ipv4(A, WORLD, UDP, 78, 185, false, new byte[100]));
        byte[] firstDenied = frame(ipv4(A, WORLD, UDP, 79, 0, true, udpHeader(1111, 54, 1472)));
        byte[] laterOfDenied = frame(ipv4(A, WORLD, UDP, 79, 185, false, new byte[100]));

        assertEquals(TC_ACT_SHOT, fromA(laterAllowed), "before its first fragment a later one is unknown");
        assertEquals(TC_ACT_OK, fromA(firstAllowed), "the first fragment carries the ports");
        assertEquals(TC_ACT_OK, fromA(laterAllowed));
        assertEquals(TC_ACT_SHOT, fromA(laterUnknown));
        assertEquals(TC_ACT_SHOT, fromA(firstDenied));
        assertEquals(TC_ACT_SHOT, fromA(laterOfDenied));
        assertEquals(3, maps.dropped(A_ID, EGRESS, DropReason.FRAGMENT_UNTRACKED));
        assertEquals(1, maps.dropped(A_ID, EGRESS, DropReason.POLICY_DENIED));

        maps.putPolicy(PolicyKey.port(A_ID, EGRESS, cidr("::/0"), PolicyKey.UDP, 53));
        assertEquals(TC_ACT_OK, fromA(ipv6Fragment(A6, "2001:db8::53", UDP, 0x1234, 0, true, udpHeader(2222, 53, 1400))));
        assertEquals(TC_ACT_OK, fromA(ipv6Fragment(A6, "2001:db8::53", UDP, 0x1234, 176, false, new byte[64])));
        assertEquals(TC_ACT_SHOT, fromA(ipv6Fragment(A6, "2001:db8::53", UDP, 0x1235, 176, false, new byte[64])));
    }

    @Test
    void failClosedForUnknownInterfacesAndIsolatedEndpointsWithoutEntries() throws Exception {
        assertEquals(TC_ACT_SHOT, run(dataplane.fromPodProgram(), tcp(A, 1, B, 80, SYN), ifUnknown));
        assertEquals(TC_ACT_SHOT, run(dataplane.toPodProgram(), arpRequest(), ifUnknown), "no endpoint, nothing passes");
        assertEquals(2, maps.drops().stream()
                .filter(d -> d.reason() == DropReason.UNKNOWN_ENDPOINT && d.endpointId() == ifUnknown)
                .mapToLong(DropCount::packets).sum(), "counted under the interface index");

        podA(true, true);
        assertEquals(TC_ACT_SHOT, fromA(tcp(A, 1, B, 80, SYN)), "isolated and no entries: nothing");
        assertEquals(TC_ACT_SHOT, toA(udp(B, 1, A, 53)));
        assertEquals(TC_ACT_OK, fromA(arpRequest()), "ARP is not IP: it passes");
        assertEquals(TC_ACT_OK, toA(tcp(NODE, 1, A, 8080, SYN)), "the node reaches its pods (kubelet probes)");
    }

    @Test
    void spoofedSourcesMalformedHeadersAndVlanTagsAreDropped() throws Exception {
        podA(false, false);
        assertEquals(TC_ACT_SHOT, fromA(tcp("10.1.0.99", 1, B, 80, SYN)));
        assertEquals(TC_ACT_SHOT, fromA(tcp("fd01::99", 1, B6, 80, SYN)));
        assertEquals(TC_ACT_SHOT, fromA(tcp("fe80::5", 1, B6, 80, SYN)), "link-local source leaving the link");
        assertEquals(2 + 1, maps.dropped(A_ID, EGRESS, DropReason.SOURCE_SPOOFED));
        assertEquals(TC_ACT_OK, fromA(neighbourSolicitation("fe80::5", "fe80::1")));
        assertEquals(TC_ACT_OK, toA(tcp("10.1.0.99", 1, A, 80, SYN)), "ingress: any source may reach an open pod");

        byte[] truncated = java.util.Arrays.copyOf(tcp(A, 1, B, 80, SYN), 14 + 20 + 2);
        assertEquals(TC_ACT_SHOT, fromA(truncated));
        assertEquals(1, maps.dropped(A_ID, EGRESS, DropReason.MALFORMED));
        assertEquals(TC_ACT_SHOT, fromA(vlanTagged(tcp(A, 1, B, 80, SYN))));
        assertEquals(1, maps.dropped(A_ID, EGRESS, DropReason.VLAN_TAGGED));
    }

    @Test
    void mapsReadBackWhatWasWrittenAndSurviveReopeningFromPins() throws Exception {
        podA(true, false);
        PolicyKey viaCidr = PolicyKey.port(A_ID, INGRESS, cidr("172.16.0.0/12"), PolicyKey.TCP, 22);
        PolicyKey viaIdentity = PolicyKey.port(A_ID, INGRESS, identity(B_IDENTITY), PolicyKey.UDP, 53);
        maps.putPolicies(List.of(viaCidr, viaIdentity));
        assertFalse(maps.putPolicy(viaCidr), "idempotent");

        assertEquals(new EndpointInfo(A_ID, A_IDENTITY, true, false, (Inet4Address) ip(A), (Inet6Address) ip(A6)),
                maps.endpoint(ifA).orElseThrow());
        assertEquals(A_IDENTITY, maps.ipcache().get(IpPrefix.parse(A)));
        assertEquals(java.util.Set.of(viaCidr, viaIdentity),
                maps.policies().stream().map(PolicyEntry::key).collect(java.util.stream.Collectors.toSet()));

        Path pins = dataplane.pinDirectory();
        try (PolicyMaps pinned = PolicyMaps.openPinned(pins)) {
            assertEquals(maps.endpoints(), pinned.endpoints());
            assertEquals(2, pinned.policies().size());
            // The reference counts are rebuilt from the map: deleting through this view removes the prefix row.
            assertTrue(pinned.deletePolicy(viaCidr));
            assertEquals(0, pinned.map(PolicyMaps.POLICY_CIDRS).keys().size());
            assertTrue(pinned.putPolicy(viaCidr));
        }
        // Loading the programs again adopts the pinned maps: same map ids, same content.
        int policyMapId = maps.map(PolicyMaps.POLICY).id();
        try (PolicyDataplane second = PolicyDataplane.open(pins)) {
            assertEquals(policyMapId, second.maps().map(PolicyMaps.POLICY).id());
            assertEquals(2, second.maps().policies().size());
            assertEquals(TC_ACT_OK, namespace.call(() -> second.toPodProgram()
                    .testRun(tcp("172.20.0.1", 1, A, 22, SYN), ifA, 1).returnValue()));
        }
    }
}
