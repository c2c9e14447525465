package dev.jute.dataplane.bpf;

import dev.jute.dataplane.NetNamespace;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.util.ArrayList;
import java.util.List;

import static dev.jute.dataplane.bpf.TestPackets.*;
import static dev.jute.dataplane.bpf.TrafficDirection.INGRESS;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Cost per packet measured by the kernel (BPF_PROG_TEST_RUN, 1,000,000 repetitions, best of 3):
 * an established flow (conntrack hit) and a new flow that runs every policy lookup (a denied SYN:
 * ipcache, any-peer, identity and CIDR entries, each for its protocol and for every protocol),
 * with 10 and with 10,000 entries in the policy map. The lookups are bounded, so the cost must
 * not grow with the number of entries.
 */
class PolicyProgramBenchmarkTest {

    private static final int REPEAT = 1_000_000;
    private static final String A = "10.2.0.1";
    private static final String B = "10.2.0.2";
    private static final int B_ID = 2;

    static BpfTestEnvironment environment;
    static NetNamespace namespace;
    static PolicyDataplane dataplane;
    static int ifB;

    @BeforeAll
    static void setUp() throws Exception {
        if (BpfTestEnvironment.unavailableReason().isPresent()) {
            return; // each test skips with the reason
        }
        BpfTestEnvironment.removeLeftovers();
        environment = new BpfTestEnvironment();
        String ns = environment.createNamespace("bench");
        BpfTestEnvironment.run("ip", "-n", ns, "link", "add", "b0", "type", "veth", "peer", "name", "b0p");
        ifB = BpfTestEnvironment.ifindex(ns, "b0");
        namespace = BpfTestEnvironment.open(ns);
        dataplane = PolicyDataplane.open(environment.bpfFilesystem().resolve("bench"));
    }

    @BeforeEach
    void requireBpf() {
        BpfTestEnvironment.assumeBpf();
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

    private record Figures(int entries, long establishedNanos, long newFlowNanos) {
    }

    @Test
    void costPerPacketDoesNotGrowWithTheNumberOfEntries() throws Exception {
        PolicyMaps maps = dataplane.maps();
        maps.putIpcache(IpPrefix.parse(A), 1000);
        maps.putEndpoint(ifB, new EndpointInfo(B_ID, 2000, true, true, (Inet4Address) ip(B), (Inet6Address) null));
        maps.putPolicy(PolicyKey.port(B_ID, INGRESS, new PolicyPeer.Identity(1000), PolicyKey.TCP, 80));
        maps.putPolicy(PolicyKey.port(B_ID, INGRESS, new PolicyPeer.Cidr(IpPrefix.parse("192.0.2.0/24")), PolicyKey.TCP, 443));

        Figures small = measure(maps, 10);
        Figures large = measure(maps, 10_000);
        System.out.printf("policy dataplane per packet (BPF_PROG_TEST_RUN, %d repetitions, best of 3):%n"
                          + "  %6d entries: established %d ns, new flow (all lookups) %d ns%n"
                          + "  %6d entries: established %d ns, new flow (all lookups) %d ns%n",
                REPEAT, small.entries, small.establishedNanos, small.newFlowNanos,
                large.entries, large.establishedNanos, large.newFlowNanos);
        assertTrue(large.establishedNanos <= small.establishedNanos * 3 / 2 + 30,
                "established flows must cost the same with more entries: " + small + " vs " + large);
        assertTrue(large.newFlowNanos <= small.newFlowNanos * 3 / 2 + 30,
                "new flows must cost the same with more entries: " + small + " vs " + large);
    }

    private Figures measure(PolicyMaps maps, int entries) throws Exception {
        int present = maps.policies().size();
        List<PolicyKey> filler = new ArrayList<>();
        for (int i = present; i < entries; i++) {
            // Other identities and ports of the same endpoint and direction: the trie the lookups walk.
            filler.add(PolicyKey.port(B_ID, INGRESS, new PolicyPeer.Identity(5000 + i), PolicyKey.TCP, 1 + i % 60000));
        }
        maps.putPolicies(filler);
        assertEquals(entries, maps.policies().size());

        BpfProgram toPod = dataplane.toPodProgram();
        byte[] syn = tcp(A, 40000, B, 80, SYN);
        byte[] established = tcp(A, 40000, B, 80, ACK);
        byte[] denied = tcp("192.0.2.7", 40001, B, 9, SYN);
        return namespace.call(() -> {
            assertEquals(0, toPod.testRun(syn, ifB, 1).returnValue(), "the connection is allowed");
            assertEquals(0, toPod.testRun(established, ifB, 1).returnValue());
            assertEquals(2, toPod.testRun(denied, ifB, 1).returnValue(), "port 9 from the CIDR is denied");
            long establishedBest = Long.MAX_VALUE;
            long deniedBest = Long.MAX_VALUE;
            for (int round = 0; round < 3; round++) {
                establishedBest = Math.min(establishedBest, toPod.testRun(established, ifB, REPEAT).averageNanos());
                deniedBest = Math.min(deniedBest, toPod.testRun(denied, ifB, REPEAT).averageNanos());
            }
            return new Figures(entries, establishedBest, deniedBest);
        });
    }
}
