package dev.jute.dataplane.bpf;

import dev.jute.dataplane.NetNamespace;
import org.junit.jupiter.api.AfterAll;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.List;

import static dev.jute.dataplane.bpf.TestPackets.ip;

/**
 * What the BPF_PROG_TEST_RUN tests of Service NAT ({@link ServiceProgramTest} for IPv4,
 * {@link ServiceProgramIpv6Test}) share: one namespace with three pod links (client A, backends B and
 * C) and an uplink, the policy and service programs loaded on one private BPF filesystem, and maps
 * emptied before each test with the three pods as endpoints. One test class at a time uses it (the
 * fields are static, as JUnit's class lifecycle is).
 */
abstract class ServiceProgramHarness {

    static final int TC_ACT_OK = 0;
    static final int TC_ACT_SHOT = 2;
    static final int TC_ACT_REDIRECT = 7;

    static final int A_ID = 11;
    static final int B_ID = 22;
    static final int C_ID = 33;
    static final int A_IDENTITY = 1000;
    static final int B_IDENTITY = 2000;
    static final int C_IDENTITY = 3000;

    static BpfTestEnvironment environment;
    static NetNamespace namespace;
    static PolicyDataplane policy;
    static ServiceDataplane services;
    static int ifA;
    static int ifB;
    static int ifC;
    static int ifUplink;

    /** Sets the harness up in a namespace named after {@code prefix}; nothing when BPF is unavailable (tests skip). */
    static void openHarness(String prefix) throws Exception {
        if (BpfTestEnvironment.unavailableReason().isPresent()) {
            return; // each test skips with the reason
        }
        BpfTestEnvironment.removeLeftovers();
        environment = new BpfTestEnvironment();
        String ns = environment.createNamespace(prefix);
        for (String link : List.of("a0", "b0", "c0", "up0")) {
            BpfTestEnvironment.run("ip", "-n", ns, "link", "add", link, "type", "veth", "peer", "name", link + "p");
        }
        ifA = BpfTestEnvironment.ifindex(ns, "a0");
        ifB = BpfTestEnvironment.ifindex(ns, "b0");
        ifC = BpfTestEnvironment.ifindex(ns, "c0");
        ifUplink = BpfTestEnvironment.ifindex(ns, "up0");
        namespace = BpfTestEnvironment.open(ns);
        // The service half first: the policy half must adopt the maps it created.
        services = ServiceDataplane.open(environment.bpfFilesystem().resolve("node"));
        policy = PolicyDataplane.open(environment.bpfFilesystem().resolve("node"));
    }

    @AfterAll
    static void closeHarness() {
        if (policy != null) {
            policy.close();
            policy = null;
        }
        if (services != null) {
            services.close();
            services = null;
        }
        if (namespace != null) {
            namespace.close();
            namespace = null;
        }
        if (environment != null) {
            environment.close();
            environment = null;
        }
    }

    /**
     * Empties every map, then writes the node's addresses (what masquerading uses), the ipcache
     * (A, B, the node as host identity 1) and the three pods' endpoints, none isolated.
     */
    static void resetMaps(Inet4Address nodeV4, Inet6Address nodeV6, String node, String a, String b, String c) {
        BpfTestEnvironment.assumeBpf();
        PolicyMaps policyMaps = policy.maps();
        policyMaps.deletePolicies(policyMaps.policies().stream().map(PolicyEntry::key).toList());
        for (String name : PolicyMaps.NAMES) {
            clear(policyMaps.map(name));
        }
        ServiceMaps maps = services.maps();
        for (String name : ServiceMaps.NAMES) {
            // Array maps (the configuration) have no deletable entries; the tests overwrite them.
            if (!name.equals(ServiceMaps.LB_CONFIG) && !name.equals(ServiceMaps.SOCK_LB_CONFIG)) {
                clear(maps.map(name));
            }
        }
        maps.setNodeAddresses(nodeV4, nodeV6);
        policyMaps.putIpcache(IpPrefix.parse(a), A_IDENTITY);
        policyMaps.putIpcache(IpPrefix.parse(b), B_IDENTITY);
        policyMaps.putIpcache(IpPrefix.parse(node), 1);
        endpoint(ifA, A_ID, A_IDENTITY, a, false, false);
        endpoint(ifB, B_ID, B_IDENTITY, b, false, false);
        endpoint(ifC, C_ID, C_IDENTITY, c, false, false);
    }

    private static void clear(BpfMap map) {
        for (byte[] key : map.keys()) {
            map.delete(key);
        }
    }

    static void endpoint(int ifindex, int id, int identity, String address, boolean ingressIsolated, boolean egressIsolated) {
        InetAddress ip = ip(address);
        policy.maps().putEndpoint(ifindex, new EndpointInfo(id, identity, ingressIsolated, egressIsolated,
                ip instanceof Inet4Address v4 ? v4 : null, ip instanceof Inet6Address v6 ? v6 : null));
    }

    static BpfProgram.TestRunResult run(BpfProgram program, byte[] frame, int ifindex) throws Exception {
        return namespace.call(() -> program.testRun(frame, ifindex, 1));
    }

    static BpfProgram.TestRunResult fromPod(byte[] frame, int ifindex) throws Exception {
        return run(policy.fromPodProgram(), frame, ifindex);
    }

    static BpfProgram.TestRunResult toPod(byte[] frame, int ifindex) throws Exception {
        return run(policy.toPodProgram(), frame, ifindex);
    }

    static BpfProgram.TestRunResult fromNetdev(byte[] frame) throws Exception {
        return run(services.fromNetdevProgram(), frame, ifUplink);
    }
}
