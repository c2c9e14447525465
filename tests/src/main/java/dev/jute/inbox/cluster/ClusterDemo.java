package dev.jute.inbox.cluster;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;

import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code ./jute demo}: a three-node in-box cluster, a three-tier app (frontend, backend, postgres; three
 * replicas each, spread over the nodes by the scheduler), the pod table, and a connectivity matrix
 * measured with real TCP connections across nodes. Then everything is torn down.
 */
public final class ClusterDemo {

    private record Tier(String name, int port) {
    }

    private static final List<Tier> TIERS = List.of(new Tier("frontend", 80), new Tier("backend", 8080), new Tier("postgres", 5432));
    private static final int REPLICAS = 3;

    private ClusterDemo() {
    }

    public static int run(List<String> args) throws Exception {
        System.out.println("Starting an in-box cluster: 3 node namespaces on one L2 segment, an API server, a Jute agent per node...");
        long start = System.nanoTime();
        try (InboxCluster cluster = InboxCluster.start("demo", 3)) {
            System.out.printf(Locale.ROOT, "cluster up in %.1f s (agents: %s)%n%n", cluster.startup().toMillis() / 1e3,
                    cluster.agentPids());
            List<String> names = new ArrayList<>();
            for (Tier tier : TIERS) {
                for (int i = 0; i < REPLICAS; i++) {
                    String name = tier.name() + "-" + i;
                    names.add(name);
                    cluster.client().resource(new PodBuilder().withNewMetadata().withName(name).withNamespace("default")
                            .addToLabels("app", "shop").addToLabels("tier", tier.name()).endMetadata()
                            .withNewSpec().addNewContainer().withName(tier.name()).withImage("jute/serve-hostname")
                            .addNewPort().withName("serve").withContainerPort(tier.port()).withProtocol("TCP").endPort()
                            .endContainer().endSpec().build()).create();
                }
            }
            List<Pod> pods = cluster.awaitReady("default", names, Duration.ofSeconds(90));
            System.out.printf(Locale.ROOT, "%d pods ready %.1f s after start%n%n", pods.size(), (System.nanoTime() - start) / 1e9);
            System.out.printf(Locale.ROOT, "%-12s %-6s %-14s %s%n", "POD", "NODE", "IPv4", "IPv6");
            for (Pod pod : pods) {
                List<String> ips = pod.getStatus().getPodIPs().stream().map(ip -> ip.getIp()).toList();
                System.out.printf(Locale.ROOT, "%-12s %-6s %-14s %s%n", pod.getMetadata().getName(), pod.getSpec().getNodeName(),
                        ips.getFirst(), ips.size() > 1 ? ips.get(1) : "-");
            }
            System.out.println();
            printMatrix(cluster, pods);
            System.out.println("Not in this demo yet (being built, see the README's capability table):");
            System.out.println("  * NetworkPolicy enforcement: policies are accepted by the API but every pair above stays reachable;");
            System.out.println("  * Services: ClusterIPs, NodePorts and EndpointSlices are allocated, but no Service NAT routes them;");
            System.out.println("  * BGP: nodes reach each other's pod CIDRs through direct routes (--routing direct).");
            System.out.println();
            System.out.println("Tearing the cluster down...");
        }
        boolean clean = !ClusterNetwork.anyLeft(new ClusterNames("demo"));
        System.out.println(clean ? "done: no namespace of the cluster is left." : "WARNING: namespaces with prefix jutec-demo- are left");
        return clean ? 0 : 1;
    }

    private static void printMatrix(InboxCluster cluster, List<Pod> pods) throws InterruptedException {
        List<Connectivity.Target> targets = new ArrayList<>();
        Map<String, String> answers = new HashMap<>();
        for (Pod from : pods) {
            for (Pod to : pods) {
                int port = to.getSpec().getContainers().getFirst().getPorts().getFirst().getContainerPort();
                targets.add(new Connectivity.Target(from.getMetadata().getName(),
                        cluster.podNetns("default", from.getMetadata().getName()).orElseThrow(), to.getMetadata().getName(),
                        InetAddress.ofLiteral(to.getStatus().getPodIP()), port, "TCP"));
                answers.put(to.getMetadata().getName(), "default/" + to.getMetadata().getName());
            }
        }
        long start = System.nanoTime();
        List<Connectivity.Outcome> outcomes = Connectivity.probeAll(targets, answers, Duration.ofSeconds(2));
        long reachable = outcomes.stream().filter(Connectivity.Outcome::reachable).count();
        System.out.printf(Locale.ROOT, "Connectivity, TCP connect to each pod's port (row = from, column = to; %d probes in parallel, %.0f ms):%n",
                outcomes.size(), (System.nanoTime() - start) / 1e6);
        StringBuilder header = new StringBuilder(String.format(Locale.ROOT, "%-12s", ""));
        pods.forEach(p -> header.append(String.format(Locale.ROOT, " %-10s", p.getMetadata().getName())));
        System.out.println(header);
        int i = 0;
        for (Pod from : pods) {
            StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "%-12s", from.getMetadata().getName()));
            for (int j = 0; j < pods.size(); j++) {
                Connectivity.Outcome outcome = outcomes.get(i++);
                row.append(String.format(Locale.ROOT, " %-10s", outcome.reachable() ? "ok" : "FAIL"));
            }
            System.out.println(row);
        }
        System.out.printf(Locale.ROOT, "%d of %d pairs reachable%n%n", reachable, outcomes.size());
        outcomes.stream().filter(o -> !o.reachable()).limit(5).forEach(o -> System.out.println("  " + o.target().from() + " -> "
                + o.target().to() + ": " + (o.result().reachable() ? "answered " + o.result().answer() : o.result().error())));
    }
}
