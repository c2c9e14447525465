package dev.jute.inbox.cluster;

import dev.jute.agent.service.IncrementalServiceCompiler;
import dev.jute.agent.service.ServiceCompiler;
import dev.jute.agent.service.ServiceSyncer;
import dev.jute.dataplane.bpf.FrontendScope;
import dev.jute.dataplane.bpf.ServiceBackend;
import dev.jute.dataplane.bpf.ServiceDataplane;
import dev.jute.dataplane.bpf.ServiceFrontend;
import dev.jute.dataplane.bpf.ServiceMaps;
import dev.jute.inbox.Command;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code ./jute bench service}: Jute's eBPF Service NAT beside kube-proxy's iptables mode on the same
 * topology (a one-node in-box cluster, a client pod and a server pod on it).
 * <ul>
 *   <li>Connection rate and first-packet latency (the time {@code connect()} takes: SYN through the
 *       NAT, SYN-ACK back) to one Service while 10, 1,000 and 10,000 Services are programmed. For
 *       Jute the other Services are frontends with five backends each in the node's real maps; for
 *       iptables they are kube-proxy-shaped chains (KUBE-SERVICES → KUBE-SVC-* → KUBE-SEP-* DNAT,
 *       five endpoints each, random-probability balancing) loaded with {@code iptables-restore}
 *       inside the node namespace only, with the measured Service's rule last in KUBE-SERVICES (the
 *       worst case of the linear walk; a random Service walks half of it).</li>
 *   <li>Time to program 10,000 Services with 50,000 endpoints, and one endpoint change. For Jute
 *       twice: the agent's own code in this process (compile, write the delta into fresh maps), and
 *       the real path, Services and EndpointSlices created in the API and programmed by the node's
 *       agent through its informers, then one EndpointSlice replaced in the API, timed until the
 *       kernel's maps hold the new endpoint. For iptables one {@code iptables-restore} of the whole
 *       ruleset, and kube-proxy's partial sync of the one changed Service's chains (the rules only:
 *       no API, no informer).</li>
 * </ul>
 */
public final class ServiceBenchmark {

    private static final int ENDPOINTS_PER_SERVICE = 5;
    private static final int SERVICES = 10_000;
    /** The Service whose EndpointSlice the one-change measurements edit. */
    private static final int CHANGED = 4_242;
    private static final int FILLER_ID_BASE = 1_000_000;
    private static final Duration MEASURE = Duration.ofSeconds(3);
    /**
     * kube-proxy's iptables mode on the legacy backend where Debian has it: iptables-nft-restore takes
     * minutes for 10,000 Services here, which would measure the nft compatibility layer, not the
     * rules' per-packet cost.
     */
    private static final String IPTABLES = Command.exists("iptables-legacy-restore") ? "iptables-legacy" : "iptables";

    private ServiceBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        List<Integer> sizes = List.of(10, 1_000, 10_000);
        boolean iptables = Command.exists(IPTABLES + "-restore");
        if (!iptables) {
            System.out.println(IPTABLES + "-restore is missing (Debian package iptables): the iptables rows are skipped");
        } else {
            System.out.println("iptables backend: " + IPTABLES + (IPTABLES.endsWith("legacy") ? " (iptables-nft-restore did not load"
                               + " 10,000 kube-proxy Services within minutes on this machine)" : ""));
        }
        // The agent's informers hold 10,000 Services and EndpointSlices in the API-path measurement.
        System.setProperty(NodeAgent.HEAP_PROPERTY, "512m");
        System.out.println("Starting a one-node in-box cluster...");
        try (InboxCluster cluster = InboxCluster.start("bsvc", 1)) {
            var client = cluster.client();
            client.resource(new PodBuilder().withNewMetadata().withNamespace("default").withName("server").addToLabels("app", "server")
                    .endMetadata().withNewSpec().withNodeName("node1").addNewContainer().withName("s").withImage("jute/serve-hostname")
                    .addNewPort().withContainerPort(8080).withProtocol("TCP").endPort().endContainer().endSpec().build()).create();
            client.resource(new PodBuilder().withNewMetadata().withNamespace("default").withName("client").endMetadata()
                    .withNewSpec().withNodeName("node1").addNewContainer().withName("c").withImage("none").endContainer().endSpec().build())
                    .create();
            var pods = cluster.awaitReady("default", List.of("server", "client"), Duration.ofSeconds(60));
            String serverIp = pods.getFirst().getStatus().getPodIP();
            Service target = client.resource(new ServiceBuilder().withNewMetadata().withNamespace("default").withName("target").endMetadata()
                    .withNewSpec().addToSelector("app", "server").addNewPort().withPort(80).withTargetPort(new IntOrString(8080))
                    .withProtocol("TCP").endPort().endSpec().build()).create();
            InetAddress vip = InetAddress.ofLiteral(target.getSpec().getClusterIP());
            Path clientNetns = cluster.podNetns("default", "client").orElseThrow();
            awaitReachable(clientNetns, vip, 80);
            String node = cluster.names().nodeNetns("node1");

            System.out.printf(Locale.ROOT, "%nConnections to one Service (sequential TCP connect + greeting + close, %d s each):%n",
                    MEASURE.toSeconds());
            System.out.printf(Locale.ROOT, "%-9s %-9s %12s %14s %14s%n", "services", "dataplane", "conn/s", "connect p50", "connect p99");
            for (int size : sizes) {
                try (ServiceMaps maps = ServiceMaps.openPinned(cluster.bpfPinDir("node1"))) {
                    Map<ServiceFrontend, List<ServiceBackend>> filler = filler(size - 1);
                    maps.upsertServices(filler);
                    print(size, "jute", measure(clientNetns, vip, 80));
                    filler.keySet().forEach(f -> maps.deleteService(f.key()));
                }
                if (iptables) {
                    InetAddress iptVip = InetAddress.ofLiteral("10.101.255.254");
                    iptablesRestore(node, kubeProxyRules(size, iptVip, serverIp), true);
                    try {
                        awaitReachable(clientNetns, iptVip, 80);
                        print(size, "iptables", measure(clientNetns, iptVip, 80));
                    } finally {
                        flushNat(node);
                    }
                }
            }

            System.out.println();
            System.out.println("Programming 10,000 Services with 50,000 endpoints:");
            programJute(cluster);
            if (iptables) {
                programIptables(node, serverIp);
            }
        }
    }

    private static void print(int size, String dataplane, long[] result) {
        System.out.printf(Locale.ROOT, "%-9d %-9s %12.0f %11.1f µs %11.1f µs%n", size, dataplane,
                result[0] / (double) MEASURE.toSeconds(), result[1] / 1e3, result[2] / 1e3);
    }

    /** Frontends 10.100.x.y:80 with five (unreachable, never used) backends each, ids far above the agent's. */
    private static Map<ServiceFrontend, List<ServiceBackend>> filler(int count) {
        Map<ServiceFrontend, List<ServiceBackend>> services = new LinkedHashMap<>();
        for (int i = 0; i < count; i++) {
            InetAddress address = InetAddress.ofLiteral("10.100." + (i >> 8) + "." + (i & 0xff));
            List<ServiceBackend> backends = new ArrayList<>();
            for (int e = 0; e < ENDPOINTS_PER_SERVICE; e++) {
                int n = i * ENDPOINTS_PER_SERVICE + e;
                backends.add(new ServiceBackend(InetAddress.ofLiteral("10.200." + (n >> 8 & 0xff) + "." + (n & 0xff)), 8080, false));
            }
            services.put(ServiceFrontend.of(FILLER_ID_BASE + i, address, 80, ServiceFrontend.TCP, FrontendScope.INTERNAL), backends);
        }
        return services;
    }

    /** {connections, p50 connect ns, p99 connect ns}. */
    private static long[] measure(Path netns, InetAddress vip, int port) throws Exception {
        for (int i = 0; i < 50; i++) {
            connectOnce(netns, vip, port);
        }
        List<Long> latencies = new ArrayList<>();
        long deadline = System.nanoTime() + MEASURE.toNanos();
        while (System.nanoTime() < deadline) {
            latencies.add(connectOnce(netns, vip, port));
        }
        long[] sorted = latencies.stream().mapToLong(Long::longValue).toArray();
        Arrays.sort(sorted);
        return new long[]{sorted.length, sorted[sorted.length / 2], sorted[(int) (sorted.length * 0.99)]};
    }

    private static long connectOnce(Path netns, InetAddress vip, int port) throws Exception {
        try (SocketChannel channel = NetnsSockets.tcp(netns)) {
            long start = System.nanoTime();
            channel.socket().connect(new InetSocketAddress(vip, port), 2_000);
            long connected = System.nanoTime() - start;
            channel.socket().setSoTimeout(2_000);
            if (channel.socket().getInputStream().readAllBytes().length == 0) {
                throw new IllegalStateException("no greeting from " + vip.getHostAddress());
            }
            return connected;
        }
    }

    private static void awaitReachable(Path netns, InetAddress vip, int port) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (true) {
            Probe.Result r = Probe.run(netns, "TCP", vip, port, Duration.ofSeconds(1));
            if (r.reachable()) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(vip.getHostAddress() + ":" + port + " is not reachable: " + r);
            }
            Thread.sleep(100);
        }
    }

    // --- programming time --------------------------------------------------------------------------

    private static void programJute(InboxCluster cluster) throws Exception {
        List<Service> services = new ArrayList<>();
        List<EndpointSlice> slices = new ArrayList<>();
        for (int i = 0; i < SERVICES; i++) {
            services.add(new ServiceBuilder().withNewMetadata().withNamespace("bench").withName("s" + i).endMetadata()
                    .withNewSpec().withType("ClusterIP").withClusterIPs("10.102." + (i >> 8) + "." + (i & 0xff))
                    .addNewPort().withName("http").withPort(80).withProtocol("TCP").endPort().endSpec().build());
            slices.add(slice(i, 0));
        }
        Path scratch = cluster.names().bpfDir().resolve("bench-scratch");
        Files.createDirectories(scratch);
        ServiceCompiler.NodeContext node = new ServiceCompiler.NodeContext("node1", List.of());
        try (ServiceDataplane dataplane = ServiceDataplane.open(scratch)) {
            ServiceSyncer syncer = new ServiceSyncer(dataplane.maps());
            IncrementalServiceCompiler compiler = new IncrementalServiceCompiler();
            long start = System.nanoTime();
            IncrementalServiceCompiler.Update update = compiler.compile(services, slices, node);
            long compiled = System.nanoTime();
            ServiceSyncer.Delta delta = syncer.apply(update.frontends());
            long applied = System.nanoTime();
            System.out.printf(Locale.ROOT, "  jute      all:      %7.0f ms (the agent's compile %.0f ms + write %d frontends %.0f ms, in process)%n",
                    (applied - start) / 1e6, (compiled - start) / 1e6, delta.upserted(), (applied - compiled) / 1e6);
            // Twenty changes, one endpoint of one Service replaced each time (the first ones run before the JIT has warmed up).
            List<Double> totals = new ArrayList<>();
            List<Double> compiles = new ArrayList<>();
            List<Double> writes = new ArrayList<>();
            for (int round = 1; round <= 20; round++) {
                slices.set(CHANGED, slice(CHANGED, round));
                start = System.nanoTime();
                update = compiler.compile(services, slices, node);
                compiled = System.nanoTime();
                delta = syncer.apply(update.frontends(), update.changed());
                applied = System.nanoTime();
                if (delta.upserted() != 1 || delta.backendsRetired() != 1) {
                    throw new IllegalStateException("one change should write one frontend and retire one backend: " + delta);
                }
                totals.add((applied - start) / 1e6);
                compiles.add((compiled - start) / 1e6);
                writes.add((applied - compiled) / 1e6);
            }
            System.out.printf(Locale.ROOT, "  jute      one endpoint changed, in process: median %.2f ms (compile %.2f ms: 1 Service of %d"
                                           + " compiled again; write 1 frontend and retire 1 backend %.2f ms); first %.2f ms, max %.2f ms%n",
                    median(totals), median(compiles), SERVICES, median(writes), totals.getFirst(),
                    totals.stream().mapToDouble(Double::doubleValue).max().orElseThrow());
        } finally {
            for (String map : ServiceMaps.NAMES) {
                Files.deleteIfExists(scratch.resolve(map));
            }
            try (var leftovers = Files.list(scratch)) {
                for (Path p : leftovers.toList()) {
                    Files.deleteIfExists(p);
                }
            }
            Files.deleteIfExists(scratch);
        }
        programJuteThroughTheApi(cluster);
    }

    /**
     * The real path: the 10,000 Services and their EndpointSlices are created in the cluster's API, the
     * node agent programs them through its informers; then one EndpointSlice is replaced in the API and
     * the time until the kernel's maps (read through the pins, as {@code jute service list} does) hold
     * the new endpoint is measured.
     */
    private static void programJuteThroughTheApi(InboxCluster cluster) throws Exception {
        var client = cluster.client();
        Path pins = cluster.bpfPinDir("node1");
        try (ServiceMaps maps = ServiceMaps.openPinned(pins)) {
            int before = maps.map(ServiceMaps.SERVICES).keys().size();
            long start = System.nanoTime();
            List<InetAddress> clusterIps = createInParallel(SERVICES, i -> {
                Service created = client.resource(new ServiceBuilder().withNewMetadata().withNamespace("bench").withName("s" + i)
                        .endMetadata().withNewSpec().withType("ClusterIP").addNewPort().withName("http").withPort(80)
                        .withProtocol("TCP").endPort().endSpec().build()).create();
                client.resource(slice(i, 0)).create();
                return InetAddress.ofLiteral(created.getSpec().getClusterIP());
            });
            long created = System.nanoTime();
            long deadline = created + Duration.ofMinutes(5).toNanos();
            while (maps.map(ServiceMaps.SERVICES).keys().size() < before + SERVICES) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the agent did not program " + SERVICES + " Services within 5 minutes");
                }
                Thread.sleep(20);
            }
            long programmed = System.nanoTime();
            System.out.printf(Locale.ROOT, "  jute      all, through the API: %7.0f ms (creating %d Services + %d EndpointSlices in the"
                                           + " API %.0f ms; in the kernel %.0f ms after the last create)%n",
                    (programmed - start) / 1e6, SERVICES, SERVICES, (created - start) / 1e6, (programmed - created) / 1e6);

            ServiceFrontend.Key key = new ServiceFrontend.Key(clusterIps.get(CHANGED), 80, ServiceFrontend.TCP, FrontendScope.INTERNAL);
            List<Double> latencies = new ArrayList<>();
            List<Double> apiCalls = new ArrayList<>();
            for (int round = 1; round <= 5; round++) {
                EndpointSlice replaced = slice(CHANGED, round);
                InetAddress joined = InetAddress.ofLiteral(replaced.getEndpoints().getFirst().getAddresses().getFirst());
                start = System.nanoTime();
                client.resource(replaced).update();
                apiCalls.add((System.nanoTime() - start) / 1e6);
                long changeDeadline = start + Duration.ofSeconds(10).toNanos();
                while (!holds(maps, key, joined)) {
                    if (System.nanoTime() > changeDeadline) {
                        throw new IllegalStateException("the endpoint change did not reach the maps within 10 s");
                    }
                    Thread.onSpinWait();
                }
                latencies.add((System.nanoTime() - start) / 1e6);
                Thread.sleep(300); // let the agent's pass finish before the next change
            }
            List<Double> sorted = latencies.stream().sorted().toList();
            System.out.printf(Locale.ROOT, "  jute      one endpoint changed, API -> kernel: median %6.2f ms, max %.2f ms over %d changes %s%n",
                    sorted.get(sorted.size() / 2), sorted.getLast(), sorted.size(), formatted(latencies));
            System.out.printf(Locale.ROOT, "            of which the API's PUT of the EndpointSlice (until it returned): %s ms%n", formatted(apiCalls));
            List<Double> afterApi = new ArrayList<>();
            for (int i = 0; i < latencies.size(); i++) {
                afterApi.add(latencies.get(i) - apiCalls.get(i));
            }
            System.out.printf(Locale.ROOT, "            and from the API's answer to the kernel (watch event, agent pass, map writes): %s ms%n",
                    formatted(afterApi));
            String agentPass = cluster.agentLog("node1").lines().filter(l -> l.contains("service frontends updated"))
                    .reduce((a, b) -> b).orElse("");
            System.out.println("            the agent's last pass: " + agentPass.replaceFirst("^\\S+ ", ""));
        }
    }

    private static boolean holds(ServiceMaps maps, ServiceFrontend.Key key, InetAddress backend) {
        return maps.service(key).map(e -> e.backends().stream().anyMatch(b -> b.address().equals(backend))).orElse(false);
    }

    private static double median(List<Double> values) {
        return values.stream().sorted().toList().get(values.size() / 2);
    }

    private static String formatted(List<Double> millis) {
        return millis.stream().map(m -> String.format(Locale.ROOT, "%.2f", m)).toList().toString();
    }

    private interface Creation {
        InetAddress create(int index) throws Exception;
    }

    /** Runs {@code creation} for 0..count-1 on a few threads (the API is in this process); the results in index order. */
    private static List<InetAddress> createInParallel(int count, Creation creation) throws Exception {
        InetAddress[] results = new InetAddress[count];
        try (var pool = java.util.concurrent.Executors.newFixedThreadPool(4)) {
            List<java.util.concurrent.Future<?>> futures = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                int index = i;
                futures.add(pool.submit(() -> {
                    results[index] = creation.create(index);
                    return null;
                }));
            }
            for (var future : futures) {
                future.get();
            }
        }
        return Arrays.asList(results);
    }

    private static EndpointSlice slice(int service, int generation) {
        EndpointSliceBuilder builder = new EndpointSliceBuilder().withNewMetadata().withNamespace("bench").withName("s" + service + "-x")
                .addToLabels("kubernetes.io/service-name", "s" + service).endMetadata().withAddressType("IPv4")
                .addNewPort().withName("http").withPort(8080).withProtocol("TCP").endPort();
        for (int e = 0; e < ENDPOINTS_PER_SERVICE; e++) {
            int n = service * ENDPOINTS_PER_SERVICE + e + (e == 0 ? generation * 7 : 0);
            builder.addToEndpoints(new EndpointBuilder().withAddresses("10." + (201 + (n >> 16)) + "." + (n >> 8 & 0xff) + "." + (n & 0xff))
                    .withNodeName("node2").withNewConditions().withReady(true).withServing(true).withTerminating(false).endConditions().build());
        }
        return builder.build();
    }

    private static void programIptables(String node, String serverIp) {
        String rules = kubeProxyRules(10_000, InetAddress.ofLiteral("10.101.255.254"), serverIp);
        try {
            long start = System.nanoTime();
            iptablesRestore(node, rules, true);
            long all = System.nanoTime() - start;
            // kube-proxy's partial sync: re-declare (flush) the changed Service's chain and its new endpoint chain.
            String change = "*nat\n:KUBE-SVC-" + hex(4_242) + " - [0:0]\n:KUBE-SEP-" + hex(4_242 * 8 + 7) + " - [0:0]\n"
                            + svcRules(4_242, endpoints(4_242, 1), true) + "COMMIT\n";
            start = System.nanoTime();
            iptablesRestore(node, change, true);
            long one = System.nanoTime() - start;
            System.out.printf(Locale.ROOT, "  iptables  all:      %7.0f ms (one iptables-restore, %d lines)%n", all / 1e6, rules.lines().count());
            System.out.printf(Locale.ROOT, "  iptables  one endpoint changed: %7.1f ms (partial iptables-restore --noflush)%n", one / 1e6);
        } finally {
            flushNat(node);
        }
    }

    private static void iptablesRestore(String node, String rules, boolean noflush) {
        List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", node, IPTABLES + "-restore"));
        if (noflush) {
            command.add("--noflush");
        }
        Command.run(command, rules, Map.of(), Duration.ofMinutes(5)).check();
    }

    private static void flushNat(String node) {
        Command.run("ip", "netns", "exec", node, IPTABLES, "-t", "nat", "-F");
        Command.run("ip", "netns", "exec", node, IPTABLES, "-t", "nat", "-X");
    }

    private static String hex(int n) {
        return String.format(Locale.ROOT, "%016X", (long) n * 0x9E3779B97F4A7C15L);
    }

    private static List<String> endpoints(int service, int generation) {
        List<String> eps = new ArrayList<>();
        for (int e = 0; e < ENDPOINTS_PER_SERVICE; e++) {
            int n = service * ENDPOINTS_PER_SERVICE + e + (e == 0 ? generation * 7 : 0);
            eps.add("10." + (201 + (n >> 16)) + "." + (n >> 8 & 0xff) + "." + (n & 0xff));
        }
        return eps;
    }

    /** One Service's KUBE-SVC chain and its KUBE-SEP chains (endpoint chain ids: service * 8 + index; + 7 for a replaced first one). */
    private static String svcRules(int service, List<String> endpoints, boolean firstReplaced) {
        StringBuilder rules = new StringBuilder();
        String svc = "KUBE-SVC-" + hex(service);
        for (int e = 0; e < endpoints.size(); e++) {
            int sepId = service * 8 + (e == 0 && firstReplaced ? 7 : e);
            String sep = "KUBE-SEP-" + hex(sepId);
            int remaining = endpoints.size() - e;
            rules.append("-A ").append(svc).append(" -m comment --comment \"bench/s").append(service).append(":http\"");
            if (remaining > 1) {
                rules.append(String.format(Locale.ROOT, " -m statistic --mode random --probability %.10f", 1.0 / remaining));
            }
            rules.append(" -j ").append(sep).append('\n');
            rules.append("-A ").append(sep).append(" -s ").append(endpoints.get(e)).append("/32 -j KUBE-MARK-MASQ\n");
            rules.append("-A ").append(sep).append(" -p tcp -m tcp -j DNAT --to-destination ").append(endpoints.get(e)).append(":8080\n");
        }
        return rules.toString();
    }

    /**
     * kube-proxy's iptables-mode nat table for {@code count} Services: {@code count - 1} with five
     * endpoints each and, last, the measured one ({@code vip}:80 → the server pod).
     */
    static String kubeProxyRules(int count, InetAddress vip, String serverIp) {
        StringBuilder chains = new StringBuilder("*nat\n:KUBE-SERVICES - [0:0]\n:KUBE-MARK-MASQ - [0:0]\n");
        StringBuilder rules = new StringBuilder();
        rules.append("-A PREROUTING -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES\n");
        rules.append("-A OUTPUT -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES\n");
        rules.append("-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000\n");
        for (int i = 0; i < count; i++) {
            boolean measured = i == count - 1;
            String address = measured ? vip.getHostAddress() : "10.101." + (i >> 8) + "." + (i & 0xff);
            List<String> endpoints = measured ? List.of(serverIp) : endpoints(i, 0);
            chains.append(":KUBE-SVC-").append(hex(i)).append(" - [0:0]\n");
            for (int e = 0; e < endpoints.size(); e++) {
                chains.append(":KUBE-SEP-").append(hex(i * 8 + e)).append(" - [0:0]\n");
            }
            rules.append("-A KUBE-SERVICES -d ").append(address).append("/32 -p tcp -m comment --comment \"bench/s").append(i)
                    .append(":http cluster IP\" -m tcp --dport 80 -j KUBE-SVC-").append(hex(i)).append('\n');
            rules.append(svcRules(i, endpoints, false));
        }
        // Changed-endpoint chain of the partial-sync measurement, declared up front like kube-proxy's.
        chains.append(":KUBE-SEP-").append(hex(4_242 * 8 + 7)).append(" - [0:0]\n");
        return chains.append(rules).append("COMMIT\n").toString();
    }
}
