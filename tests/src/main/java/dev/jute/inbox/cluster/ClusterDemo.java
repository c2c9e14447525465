package dev.jute.inbox.cluster;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRuleBuilder;

import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code ./jute demo}: a three-node in-box cluster routed over BGP with BIRD 2 as its edge router
 * ({@link BgpDemo}), a three-tier app (frontend, backend, postgres; three replicas each, spread over the
 * nodes by the scheduler), the pod table, a connectivity matrix measured with real TCP connections across
 * nodes, the app's Services with real traffic ({@link ServiceDemo}), then the same matrix after three-tier
 * NetworkPolicies. Then everything is torn down; the exit status says whether everything (BGP sessions and
 * routes, every matrix, every Service) was as expected.
 */
public final class ClusterDemo {

    private record Tier(String name, int port) {
    }

    private static final List<Tier> TIERS = List.of(new Tier("frontend", 80), new Tier("backend", 8080), new Tier("postgres", 5432));
    private static final int REPLICAS = 3;

    private ClusterDemo() {
    }

    public static int run(List<String> args) throws Exception {
        System.out.println("Starting an in-box cluster: 3 node namespaces on one L2 segment, an API server, a Jute agent per node"
                           + " (--routing bgp), BIRD 2 as the edge router...");
        long start = System.nanoTime();
        boolean demoPassed;
        try (InboxCluster cluster = InboxCluster.start("demo", 3, BgpDemo.agentArguments());
             BgpDemo routing = BgpDemo.start(cluster)) {
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
            // The pods start meanwhile: BGP convergence and pod start-up are independent.
            boolean converged = routing.showConvergence();
            List<Pod> pods = cluster.awaitReady("default", names, Duration.ofSeconds(90));
            System.out.printf(Locale.ROOT, "%d pods ready %.1f s after start%n%n", pods.size(), (System.nanoTime() - start) / 1e9);
            System.out.printf(Locale.ROOT, "%-12s %-6s %-14s %s%n", "POD", "NODE", "IPv4", "IPv6");
            for (Pod pod : pods) {
                List<String> ips = pod.getStatus().getPodIPs().stream().map(ip -> ip.getIp()).toList();
                System.out.printf(Locale.ROOT, "%-12s %-6s %-14s %s%n", pod.getMetadata().getName(), pod.getSpec().getNodeName(),
                        ips.getFirst(), ips.size() > 1 ? ips.get(1) : "-");
            }
            System.out.println();
            boolean open = printMatrix(cluster, pods, "no NetworkPolicy", (from, to) -> true);
            boolean services = ServiceDemo.run(cluster, pods, routing);
            System.out.println("Applying NetworkPolicies: default-deny ingress; frontend open on :80; backend :8080 only from");
            System.out.println("frontend; postgres :5432 only from backend (enforced by Jute's eBPF programs on every node)...");
            for (NetworkPolicy policy : threeTierPolicies()) {
                cluster.client().resource(policy).create();
            }
            boolean isolated = printMatrix(cluster, pods, "three-tier policies", ClusterDemo::allowedByThreeTier);
            demoPassed = converged && open && services && isolated;
            if (!demoPassed) {
                System.out.println("FAILED: what was measured differs from what was expected (marked (!) above)");
                System.out.println();
            }
            System.out.println("Tearing the cluster down...");
        }
        boolean clean = !ClusterNetwork.anyLeft(new ClusterNames("demo"));
        System.out.println(clean ? "done: no namespace of the cluster is left." : "WARNING: namespaces with prefix jutec-demo- are left");
        return clean && demoPassed ? 0 : 1;
    }

    private static String tier(String pod) {
        return pod.substring(0, pod.indexOf('-'));
    }

    /** The truth table of {@link #threeTierPolicies()}: who may open a connection to whom. */
    private static boolean allowedByThreeTier(String from, String to) {
        if (from.equals(to)) {
            return true; // a pod talking to itself never leaves its namespace: no policy can see it
        }
        return switch (tier(to)) {
            case "frontend" -> true;
            case "backend" -> tier(from).equals("frontend");
            case "postgres" -> tier(from).equals("backend");
            default -> false;
        };
    }

    private static List<NetworkPolicy> threeTierPolicies() {
        List<NetworkPolicy> policies = new ArrayList<>();
        policies.add(new NetworkPolicyBuilder().withNewMetadata().withName("default-deny-ingress").withNamespace("default")
                .endMetadata().withNewSpec().withNewPodSelector().endPodSelector().withPolicyTypes("Ingress").endSpec().build());
        policies.add(allowTier("frontend", null, 80));
        policies.add(allowTier("backend", "frontend", 8080));
        policies.add(allowTier("postgres", "backend", 5432));
        return policies;
    }

    /** Ingress to {@code tier} on {@code port}, from pods of {@code fromTier} (or from anywhere when null). */
    private static NetworkPolicy allowTier(String tier, String fromTier, int port) {
        NetworkPolicyIngressRuleBuilder rule = new NetworkPolicyIngressRuleBuilder()
                .addNewPort().withProtocol("TCP").withPort(new IntOrString(port)).endPort();
        if (fromTier != null) {
            rule.addNewFrom().withNewPodSelector().addToMatchLabels("tier", fromTier).endPodSelector().endFrom();
        }
        return new NetworkPolicyBuilder().withNewMetadata().withName(tier + "-ingress").withNamespace("default").endMetadata()
                .withNewSpec().withNewPodSelector().addToMatchLabels("tier", tier).endPodSelector()
                .withPolicyTypes("Ingress").withIngress(rule.build()).endSpec().build();
    }

    private interface Expectation {
        boolean reachable(String from, String to);
    }

    /**
     * Probes every pair until the matrix matches {@code expected} (policy changes reach the agents through
     * watches) or 15 s pass, prints it, and says whether it matched.
     */
    private static boolean printMatrix(InboxCluster cluster, List<Pod> pods, String title, Expectation expected)
            throws InterruptedException {
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
        long deadline = start + Duration.ofSeconds(15).toNanos();
        List<Connectivity.Outcome> outcomes;
        long probeStart;
        do {
            probeStart = System.nanoTime();
            outcomes = Connectivity.probeAll(targets, answers, Duration.ofSeconds(1));
        } while (!matches(outcomes, expected) && System.nanoTime() < deadline && sleep());
        long reachable = outcomes.stream().filter(Connectivity.Outcome::reachable).count();
        System.out.printf(Locale.ROOT, "Connectivity with %s, TCP connect to each pod's port (row = from, column = to;"
                        + " %d probes in parallel, %.0f ms; as expected after %.1f s):%n",
                title, outcomes.size(), (System.nanoTime() - probeStart) / 1e6, (System.nanoTime() - start) / 1e9);
        StringBuilder header = new StringBuilder(String.format(Locale.ROOT, "%-12s", ""));
        pods.forEach(p -> header.append(String.format(Locale.ROOT, " %-10s", p.getMetadata().getName())));
        System.out.println(header);
        int i = 0;
        for (Pod from : pods) {
            StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "%-12s", from.getMetadata().getName()));
            for (int j = 0; j < pods.size(); j++) {
                Connectivity.Outcome outcome = outcomes.get(i++);
                boolean want = expected.reachable(outcome.target().from(), outcome.target().to());
                String cell = (outcome.reachable() ? "ok" : "denied") + (outcome.reachable() == want ? "" : " (!)");
                row.append(String.format(Locale.ROOT, " %-10s", cell));
            }
            System.out.println(row);
        }
        boolean matched = matches(outcomes, expected);
        System.out.printf(Locale.ROOT, "%d of %d pairs reachable; %s%n%n", reachable, outcomes.size(),
                matched ? "every pair as expected" : "(!) marks a pair that differs from the expectation");
        return matched;
    }

    private static boolean matches(List<Connectivity.Outcome> outcomes, Expectation expected) {
        return outcomes.stream().allMatch(o -> o.reachable() == expected.reachable(o.target().from(), o.target().to()));
    }

    private static boolean sleep() throws InterruptedException {
        Thread.sleep(300);
        return true;
    }
}
