package dev.jute.tests.service;

import dev.jute.dataplane.bpf.ServiceDataplane;
import dev.jute.dataplane.bpf.ServiceFrontend;
import dev.jute.dataplane.bpf.ServiceMaps;
import dev.jute.inbox.Netns;
import dev.jute.inbox.cluster.InboxCluster;
import dev.jute.inbox.cluster.Probe;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.ContainerPortBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;

import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The in-box cluster the Service end-to-end tests share: a namespace named like the cluster, backends
 * web-1 on node1 and web-2 on node2 (label app=web; ports http 8080/TCP, dns 5353/UDP, peer-echo
 * 7070/TCP, plus the test's own) and client pods client-i (label app=client) on the nodes asked for.
 */
final class ServiceTestCluster implements AutoCloseable {

    static final Duration PROBE_TIMEOUT = Duration.ofSeconds(2);

    private final InboxCluster cluster;
    private final String namespace;

    private ServiceTestCluster(InboxCluster cluster, String namespace) {
        this.cluster = cluster;
        this.namespace = namespace;
    }

    /** Starts it, or skips the test class when there is no root, iproute2 or BPF dataplane. */
    static ServiceTestCluster start(String name, int nodes, List<ContainerPort> moreWebPorts, int... clientNodes) throws Exception {
        assumeTrue(Netns.available(), "needs root and iproute2 (ip): skipped");
        assumeTrue(ServiceDataplane.unavailableReason().isEmpty(),
                "needs the BPF dataplane: " + ServiceDataplane.unavailableReason().orElse(""));
        InboxCluster cluster = InboxCluster.start(name, nodes);
        try {
            var client = cluster.client();
            client.resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build()).create();
            List<ContainerPort> webPorts = new ArrayList<>(List.of(port("http", 8080, "TCP"), port("dns", 5353, "UDP"),
                    port("peer-echo", 7070, "TCP")));
            webPorts.addAll(moreWebPorts);
            List<String> pods = new ArrayList<>();
            for (int i = 1; i <= 2; i++) {
                client.resource(new PodBuilder().withNewMetadata().withNamespace(name).withName("web-" + i).addToLabels("app", "web")
                        .endMetadata().withNewSpec().withNodeName("node" + i).addNewContainer().withName("web")
                        .withImage("jute/serve-hostname").withPorts(webPorts).endContainer().endSpec().build()).create();
                pods.add("web-" + i);
            }
            for (int i : clientNodes) {
                client.resource(new PodBuilder().withNewMetadata().withNamespace(name).withName("client-" + i).addToLabels("app", "client")
                        .endMetadata().withNewSpec().withNodeName("node" + i).addNewContainer().withName("c").withImage("none")
                        .endContainer().endSpec().build()).create();
                pods.add("client-" + i);
            }
            cluster.awaitReady(name, pods, Duration.ofSeconds(90));
            return new ServiceTestCluster(cluster, name);
        } catch (Exception | Error e) {
            cluster.close();
            throw e;
        }
    }

    static ContainerPort port(String name, int port, String protocol) {
        return new ContainerPortBuilder().withName(name).withContainerPort(port).withProtocol(protocol).build();
    }

    InboxCluster cluster() {
        return cluster;
    }

    /** Creates the Service in the test namespace; the API allocates its ClusterIPs and NodePorts. */
    Service create(ServiceBuilder service) {
        return cluster.client().resource(service.editMetadata().withNamespace(namespace).endMetadata().build()).create();
    }

    /** The network namespace of client-i. */
    Path client(int i) {
        return cluster.podNetns(namespace, "client-" + i).orElseThrow();
    }

    /** How many backends {@code node} has programmed for the frontend, or -1 when it has none. */
    int backendsOf(String node, ServiceFrontend.Key frontend) {
        try (ServiceMaps maps = ServiceMaps.openPinned(cluster.bpfPinDir(node))) {
            return maps.service(frontend).map(e -> e.backends().size()).orElse(-1);
        }
    }

    static ServiceBuilder selecting(String name, String app) {
        return new ServiceBuilder().withNewMetadata().withName(name).endMetadata().withNewSpec().addToSelector("app", app).endSpec();
    }

    static InetAddress clusterIp(Service service) {
        return InetAddress.ofLiteral(service.getSpec().getClusterIP());
    }

    /** Probes until {@code check} holds on the result (the agents converge within moments); returns that result. */
    static Probe.Result eventually(Supplier<Probe.Result> probe, Predicate<Probe.Result> check, String what)
            throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        Probe.Result last;
        do {
            last = probe.get();
            if (check.test(last)) {
                return last;
            }
            Thread.sleep(100);
        } while (System.nanoTime() < deadline);
        throw new AssertionError(what + ": last probe " + last);
    }

    /**
     * A Service without endpoints refuses at once from {@code client}: TCP port 80 with a reset (a second
     * attempt answered in under a second, not after a timeout), UDP port 53 with ICMP port unreachable.
     */
    static void assertRefusedAtOnce(Path client, InetAddress vip) throws InterruptedException {
        Probe.Result refused = eventually(() -> Probe.run(client, "TCP", vip, 80, Duration.ofSeconds(5)),
                r -> !r.reachable() && r.error() != null && r.error().toLowerCase().contains("refused"),
                "TCP reset from " + vip.getHostAddress());
        long started = System.nanoTime();
        Probe.Result again = Probe.run(client, "TCP", vip, 80, Duration.ofSeconds(5));
        long millis = (System.nanoTime() - started) / 1_000_000;
        assertFalse(again.reachable());
        assertTrue(millis < 1_000, "refused in " + millis + " ms, not after a timeout: " + again + " / " + refused);
        Probe.Result udp = Probe.run(client, "UDP", vip, 53, Duration.ofSeconds(2));
        assertFalse(udp.reachable());
        assertTrue(udp.error() != null && udp.error().toLowerCase().contains("unreachable"), "ICMP port unreachable: " + udp);
    }

    @Override
    public void close() {
        cluster.close();
    }
}
