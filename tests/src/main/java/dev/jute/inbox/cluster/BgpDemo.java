package dev.jute.inbox.cluster;

import dev.jute.agent.bgp.BgpCli;
import dev.jute.agent.bgp.BgpOptions;
import dev.jute.inbox.Netns;
import dev.jute.inbox.bgp.BirdRouter;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The routing part of {@code ./jute demo}. The agents run {@code --routing bgp}: an iBGP full mesh between
 * the nodes (built from the Node objects) carries the pod CIDRs, and every node also peers with the edge
 * router, BIRD 2 in AS 64513. BIRD runs in the external client's own namespace (the segment side,
 * 172.18.0.1) and exports its best routes to that namespace's kernel table: the simplest real arrangement,
 * a client that is its own router, with no second hop whose forwarding could hide what BGP did. The static
 * route to the LoadBalancer pool the in-box cluster otherwise gives the external side is removed, so the
 * client reaches a LoadBalancer address only through the /32 the nodes announced, and an address nobody
 * announces is unreachable. BIRD also learns the pod CIDRs (the agents send them to every peer, as a
 * top-of-rack router would learn them), so pods are routable from outside as well.
 */
final class BgpDemo implements AutoCloseable {

    /** The edge router's AS; the nodes are in the agent's default AS. */
    static final long EDGE_AS = 64513;
    private static final Duration CONVERGE = Duration.ofSeconds(30);
    private static final Duration ANNOUNCE = Duration.ofSeconds(20);
    /** A path of {@code birdc show route}: the prefix (on its first path only), the protocol (= node name), the best mark. */
    private static final Pattern BIRD_PATH = Pattern.compile("^(\\S+)?\\s+unicast \\[(\\S+) [^]]*]( \\*)?");
    private static final Pattern BIRD_NEXT_HOP = Pattern.compile("^\\s+via (\\S+) on ");

    private final InboxCluster cluster;
    private final Netns external;
    private final BirdRouter router;

    private BgpDemo(InboxCluster cluster, Netns external, BirdRouter router) {
        this.cluster = cluster;
        this.external = external;
        this.router = router;
    }

    /** What every agent of the demo cluster gets on its command line (after the in-box defaults, so it wins). */
    static List<String> agentArguments() {
        return List.of("--routing", "bgp", "--bgp-peer", ClusterNetwork.BRIDGE_IPV4 + "," + EDGE_AS);
    }

    /** Hands the external side's routes to BGP and starts BIRD there, one session per node. */
    static BgpDemo start(InboxCluster cluster) {
        cluster.removeStaticLoadBalancerRoute();
        Map<String, String> nodes = new LinkedHashMap<>();
        cluster.nodeNames().forEach(node -> nodes.put(node, cluster.nodeAddress(node)));
        Path work = cluster.names().stateDir().resolve("edge-router");
        try {
            Files.createDirectories(work);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Netns external = new Netns(cluster.names().segmentNetns());
        BirdRouter router = new BirdRouter(external, work, ClusterNetwork.BRIDGE_IPV4, EDGE_AS, nodes, BgpOptions.DEFAULT_AS).start();
        return new BgpDemo(cluster, external, router);
    }

    /**
     * Waits until every session is up, every node has the other nodes' pod CIDRs in its kernel and BIRD has
     * each pod CIDR from its node; prints the sessions per node and what BIRD learned. Whether it converged.
     */
    boolean showConvergence() throws InterruptedException {
        Map<String, List<String>> podCidrs = new LinkedHashMap<>();
        for (String node : cluster.nodeNames()) {
            podCidrs.put(node, cluster.client().nodes().withName(node).get().getSpec().getPodCIDRs());
        }
        long start = System.nanoTime();
        long deadline = start + CONVERGE.toNanos();
        List<String> problems;
        while (!(problems = convergenceProblems(podCidrs)).isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        System.out.printf(Locale.ROOT, "Routing over BGP (--routing bgp): an iBGP mesh between the nodes (AS %d) carries the pod CIDRs;%n"
                                       + "every node also peers with the edge router, BIRD 2 (AS %d), in the external client's namespace (%s).%n",
                BgpOptions.DEFAULT_AS, EDGE_AS, ClusterNetwork.BRIDGE_IPV4);
        System.out.println("Sessions per node (jute bgp peers; routes received/advertised):");
        for (String node : cluster.nodeNames()) {
            System.out.printf(Locale.ROOT, "  %-6s %s%n", node, sessions(node));
        }
        System.out.println("Learned by BIRD (birdc show route; * = its best path, the one in the external client's kernel):");
        learnedByRouter().forEach(line -> System.out.println("  " + line));
        if (problems.isEmpty()) {
            System.out.printf(Locale.ROOT, "converged %.1f s after the cluster was up%n%n", (System.nanoTime() - start) / 1e9);
            return true;
        }
        System.out.println("(!) not converged within " + CONVERGE.toSeconds() + " s: " + String.join("; ", problems));
        System.out.println(router.diagnostics());
        return false;
    }

    private List<String> convergenceProblems(Map<String, List<String>> podCidrs) {
        List<String> problems = new ArrayList<>();
        if (!router.allEstablished()) {
            problems.add("BIRD's sessions are not all Established");
        }
        Map<String, List<BirdPath>> learned = learnedPaths();
        for (String node : cluster.nodeNames()) {
            String address = cluster.nodeAddress(node);
            // BIRD's sessions carry IPv4 only (its one channel), so it learns the IPv4 pod CIDRs.
            for (String cidr : podCidrs.get(node)) {
                if (!cidr.contains(":") && !learned.getOrDefault(cidr, List.of()).equals(List.of(new BirdPath(address, node, true)))) {
                    problems.add("BIRD lacks " + cidr + " via " + address);
                }
            }
            try {
                List<Map<String, Object>> peers = list(BgpCli.ask(cluster.adminSocket(node), "bgp-peers"), "peers");
                if (peers.size() != cluster.nodeNames().size() || !peers.stream().allMatch(p -> "ESTABLISHED".equals(p.get("state")))) {
                    problems.add(node + "'s sessions are not all Established");
                }
                Set<String> inKernel = new TreeSet<>();
                list(BgpCli.ask(cluster.adminSocket(node), "bgp-routes"), "routes").stream()
                        .filter(r -> r.get("kernel") != null).forEach(r -> inKernel.add((String) r.get("prefix")));
                podCidrs.forEach((other, cidrs) -> cidrs.stream().filter(c -> !other.equals(node) && !inKernel.contains(c))
                        .forEach(c -> problems.add(node + " has no kernel route to " + other + "'s " + c)));
            } catch (Exception e) {
                problems.add(node + "'s agent did not answer on its admin socket: " + e.getMessage());
            }
        }
        return problems;
    }

    /** One node's sessions from its agent's admin socket, as {@code jute bgp peers} shows them, on one line. */
    private String sessions(String node) {
        try {
            List<String> sessions = new ArrayList<>();
            for (Map<String, Object> p : list(BgpCli.ask(cluster.adminSocket(node), "bgp-peers"), "peers")) {
                String state = String.valueOf(p.get("state"));
                sessions.add(String.format(Locale.ROOT, "%s %s %s %s/%s", p.get("address"),
                        ClusterNetwork.BRIDGE_IPV4.equals(p.get("address")) ? "BIRD" : p.get("type"),
                        state.charAt(0) + state.substring(1).toLowerCase(Locale.ROOT), p.get("received"), p.get("advertised")));
            }
            return String.join(" | ", sessions);
        } catch (Exception e) {
            return "(!) no answer from the admin socket: " + e.getMessage();
        }
    }

    /**
     * {@code birdc show route} condensed to one line per prefix: each path's next hop and node, the best
     * one marked.
     */
    List<String> learnedByRouter() {
        List<String> lines = new ArrayList<>();
        learnedPaths().forEach((prefix, paths) -> lines.add(String.format(Locale.ROOT, "%-16s %s", prefix, String.join(", ",
                paths.stream().map(p -> "via " + p.nextHop() + " (" + p.node() + (p.best() ? " *" : "") + ")").toList()))));
        return lines.isEmpty() ? List.of("(!) nothing") : lines;
    }

    /** One path BIRD has for a prefix: its next hop, the session (named after the node) it came from, whether it is the best. */
    private record BirdPath(String nextHop, String node, boolean best) {
    }

    /** {@code birdc show route} parsed: prefix → its paths, in BIRD's order (the best first). */
    private Map<String, List<BirdPath>> learnedPaths() {
        Map<String, List<BirdPath>> paths = new LinkedHashMap<>();
        String prefix = null;
        Matcher path = null;
        for (String line : router.routeTable().lines().toList()) {
            Matcher m = BIRD_PATH.matcher(line);
            Matcher hop = BIRD_NEXT_HOP.matcher(line);
            if (m.find()) {
                prefix = m.group(1) != null ? m.group(1) : prefix;
                path = m;
            } else if (hop.find() && prefix != null && path != null) {
                paths.computeIfAbsent(prefix, p -> new ArrayList<>()).add(new BirdPath(hop.group(1), path.group(2), path.group(3) != null));
            }
        }
        return paths;
    }

    /**
     * How long BIRD took to learn a LoadBalancer address: until its first path and until the paths of every
     * node (externalTrafficPolicy Cluster: all of them announce), from {@code createdNanos}; null when never.
     */
    record Announcement(String prefix, Duration first, Duration fromAll, Set<String> nextHops) {
    }

    Announcement awaitAnnounced(String address, long createdNanos) throws InterruptedException {
        String prefix = address + "/32";
        Set<String> everyNode = new TreeSet<>();
        cluster.nodeNames().forEach(node -> everyNode.add(cluster.nodeAddress(node)));
        long deadline = System.nanoTime() + ANNOUNCE.toNanos();
        Duration first = null;
        Set<String> hops = Set.of();
        while (System.nanoTime() < deadline) {
            hops = router.nextHops(prefix);
            if (first == null && !hops.isEmpty()) {
                first = Duration.ofNanos(System.nanoTime() - createdNanos);
            }
            if (hops.equals(everyNode)) {
                return new Announcement(prefix, first, Duration.ofNanos(System.nanoTime() - createdNanos), hops);
            }
            Thread.sleep(20);
        }
        return new Announcement(prefix, first, null, hops);
    }

    /** Every route of the external client's kernel table that covers {@code address} ({@code ip route show match}). */
    List<String> clientRoutes(String address) {
        return external.exec("ip", "-4", "route", "show", "match", address).stdout().lines().map(String::strip)
                .filter(l -> !l.isEmpty()).toList();
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> list(Map<String, Object> answer, String key) {
        Object value = answer.get(key);
        if (!(value instanceof List<?>)) {
            throw new IllegalStateException(answer.getOrDefault("error", "no " + key + " in " + answer).toString());
        }
        return (List<Map<String, Object>>) value;
    }

    @Override
    public void close() {
        router.close();
    }
}
