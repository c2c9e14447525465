package dev.jute.dataplane.bpf;

import dev.jute.dataplane.NetNamespace;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.jute.dataplane.bpf.TestPackets.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Service NAT cost per packet measured by the kernel (BPF_PROG_TEST_RUN) in from_pod with 10,
 * 1,000 and 10,000 services (5 backends each) in the maps: an established connection (NAT entry
 * hit, 1,000,000 repetitions, best of 3) and a new connection (service lookup, backend choice,
 * policy, three entries created: the median of 2,000 SYNs from distinct ports, one run each). The
 * lookups are hash lookups, so neither may grow with the number of services. Also the time to
 * program the maps from Java.
 */
class ServiceProgramBenchmarkTest {

    private static final int REPEAT = 1_000_000;
    private static final int NEW_CONNECTIONS = 2_000;
    private static final int BACKENDS_PER_SERVICE = 5;
    private static final String CLIENT = "10.3.0.1";

    static BpfTestEnvironment environment;
    static NetNamespace namespace;
    static PolicyDataplane policy;
    static ServiceDataplane services;
    static int ifClient;

    @BeforeAll
    static void setUp() throws Exception {
        if (BpfTestEnvironment.unavailableReason().isPresent()) {
            return;
        }
        BpfTestEnvironment.removeLeftovers();
        environment = new BpfTestEnvironment();
        String ns = environment.createNamespace("svcbench");
        BpfTestEnvironment.run("ip", "-n", ns, "link", "add", "c0", "type", "veth", "peer", "name", "c0p");
        ifClient = BpfTestEnvironment.ifindex(ns, "c0");
        namespace = BpfTestEnvironment.open(ns);
        policy = PolicyDataplane.open(environment.bpfFilesystem().resolve("bench"));
        services = ServiceDataplane.open(environment.bpfFilesystem().resolve("bench"));
    }

    @BeforeEach
    void requireBpf() {
        BpfTestEnvironment.assumeBpf();
    }

    @AfterAll
    static void tearDown() {
        if (services != null) {
            services.close();
        }
        if (policy != null) {
            policy.close();
        }
        if (namespace != null) {
            namespace.close();
        }
        if (environment != null) {
            environment.close();
        }
    }

    private record Figures(int services, long establishedNanos, long newConnectionNanos) {
    }

    private static InetAddress vip(int index) {
        return ip("10.96." + (index >> 8) + "." + (index & 0xff));
    }

    private static Map<ServiceFrontend, List<ServiceBackend>> serviceSet(int from, int to) {
        Map<ServiceFrontend, List<ServiceBackend>> set = new LinkedHashMap<>();
        for (int i = from; i < to; i++) {
            List<ServiceBackend> backends = new ArrayList<>();
            for (int b = 0; b < BACKENDS_PER_SERVICE; b++) {
                int host = i * BACKENDS_PER_SERVICE + b;
                backends.add(new ServiceBackend(ip("10.4." + ((host >> 8) & 0xff) + "." + (host & 0xff)), 8080, b < 2));
            }
            set.put(ServiceFrontend.of(i + 1, vip(i), 80, ServiceFrontend.TCP, FrontendScope.INTERNAL), backends);
        }
        return set;
    }

    @Test
    void costPerPacketAndProgrammingTimeDoNotGrowWithTheNumberOfServices() throws Exception {
        policy.maps().putEndpoint(ifClient, new EndpointInfo(7, 7000, false, false, (Inet4Address) ip(CLIENT),
                (Inet6Address) null));
        ServiceMaps maps = services.maps();

        List<Figures> figures = new ArrayList<>();
        int present = 0;
        long lastStepNanos = 0;
        for (int count : new int[]{10, 1_000, 10_000}) {
            Map<ServiceFrontend, List<ServiceBackend>> added = serviceSet(present, count);
            long start = System.nanoTime();
            maps.upsertServices(added);
            long elapsed = System.nanoTime() - start;
            lastStepNanos = elapsed; // growing to 10,000; the full set from scratch is timed below
            present = count;
            assertEquals(count, maps.map(ServiceMaps.SERVICES).keys().size());
            figures.add(measure(count));
        }

        // Programming 10,000 services with 50,000 backends from scratch, in one call.
        for (String name : List.of(ServiceMaps.SERVICES, ServiceMaps.BACKENDS, ServiceMaps.REVNAT)) {
            BpfMap map = maps.map(name);
            map.keys().forEach(map::delete);
        }
        Map<ServiceFrontend, List<ServiceBackend>> all = serviceSet(0, 10_000);
        long start = System.nanoTime();
        maps.upsertServices(all);
        long fullProgramNanos = System.nanoTime() - start;
        assertEquals(50_000, maps.map(ServiceMaps.BACKENDS).keys().size());

        // One endpoint change: a backend of one service replaced.
        Map.Entry<ServiceFrontend, List<ServiceBackend>> one = all.entrySet().iterator().next();
        List<ServiceBackend> changed = new ArrayList<>(one.getValue());
        changed.set(4, new ServiceBackend(ip("10.5.0.1"), 8080, false));
        long changeNanos = Long.MAX_VALUE;
        for (int round = 0; round < 20; round++) {
            long t0 = System.nanoTime();
            maps.upsertService(one.getKey(), round % 2 == 0 ? changed : one.getValue());
            changeNanos = Math.min(changeNanos, System.nanoTime() - t0);
        }

        StringBuilder report = new StringBuilder(String.format(
                "service NAT per packet in from_pod (BPF_PROG_TEST_RUN; established: %d repetitions, best of 3;"
                + " new: median of %d SYNs):%n", REPEAT, NEW_CONNECTIONS));
        for (Figures f : figures) {
            report.append(String.format("  %6d services: established %d ns, new connection %d ns%n", f.services,
                    f.establishedNanos, f.newConnectionNanos));
        }
        report.append(String.format("programming 10,000 services with 50,000 backends: %d ms (the step 1,000 -> 10,000: %d ms);"
                                    + " one endpoint change: %d us%n", fullProgramNanos / 1_000_000,
                lastStepNanos / 1_000_000, changeNanos / 1_000));
        System.out.print(report);

        Figures small = figures.getFirst();
        Figures large = figures.getLast();
        assertTrue(large.establishedNanos <= small.establishedNanos * 3 / 2 + 30,
                "established connections must cost the same with more services: " + figures);
        assertTrue(large.newConnectionNanos <= small.newConnectionNanos * 2 + 200,
                "new connections must cost the same with more services: " + figures);
    }

    private Figures measure(int serviceCount) throws Exception {
        BpfProgram fromPod = policy.fromPodProgram();
        // The last service: the hash tables are as full as they get.
        String target = vip(serviceCount - 1).getHostAddress();
        byte[] established = tcp(CLIENT, 1, target, 80, ACK);
        return namespace.call(() -> {
            assertEquals(0, fromPod.testRun(tcp(CLIENT, 1, target, 80, SYN), ifClient, 1).returnValue());
            long establishedBest = Long.MAX_VALUE;
            for (int round = 0; round < 3; round++) {
                establishedBest = Math.min(establishedBest, fromPod.testRun(established, ifClient, REPEAT).averageNanos());
            }
            long[] fresh = new long[NEW_CONNECTIONS];
            for (int i = 0; i < NEW_CONNECTIONS; i++) {
                int port = 10_000 + serviceCount % 7 * 7_000 + i;
                BpfProgram.TestRunResult result = fromPod.testRun(tcp(CLIENT, port, target, 80, SYN), ifClient, 1);
                assertEquals(0, result.returnValue());
                fresh[i] = result.averageNanos();
            }
            Arrays.sort(fresh);
            return new Figures(serviceCount, establishedBest, fresh[NEW_CONNECTIONS / 2]);
        });
    }
}
