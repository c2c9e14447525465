package dev.jute.tests.bgp;

import dev.jute.agent.bgp.BgpCli;
import dev.jute.dataplane.bpf.FrontendScope;
import dev.jute.dataplane.bpf.ServiceMaps;
import dev.jute.inbox.Netns;
import dev.jute.inbox.bgp.BgpLab;
import dev.jute.inbox.bgp.BirdRouter;
import dev.jute.inbox.cluster.InboxCluster;
import dev.jute.inbox.cluster.Probe;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * LoadBalancer addresses over BGP, end to end: a two-node in-box cluster whose agents run
 * {@code --routing bgp} (node mesh from the Node objects) with BIRD 2 as the external router on the
 * nodes' segment ({@code 172.18.0.250}, AS 64513). BIRD exports what it learns to the kernel table of
 * its own namespace, which has no other route beyond the segment, so a connection from there to a
 * LoadBalancer address works only through the BGP-learned /32. Shown: eTP Cluster announced by both
 * nodes, eTP Local only by the node with a local endpoint (and only once it has one), nothing for the
 * mesh, re-advertisement to a router that restarted, withdrawal when the local endpoint or the
 * Service goes, and {@code jute bgp routes} naming the route. Cluster prefix {@code jutec-lbbgp-}.
 */
class LoadBalancerAnnounceTest {

    private static final String NS = "lbbgp";
    private static final String ROUTER = "172.18.0.250";
    private static final long ROUTER_AS = 64513;
    private static final Duration WAIT = Duration.ofSeconds(40);

    @Test
    void loadBalancerAddressesAreAnnouncedToTheExternalRouterAndCarryItsTraffic() throws Exception {
        assumeTrue(Netns.available(), "needs root and iproute2 (ip): skipped");
        assumeTrue(dev.jute.dataplane.bpf.ServiceDataplane.unavailableReason().isEmpty(),
                "needs the BPF dataplane: " + dev.jute.dataplane.bpf.ServiceDataplane.unavailableReason().orElse(""));
        assumeTrue(dev.jute.inbox.Command.run("sh", "-c", "command -v bird && command -v birdc").ok(),
                "needs BIRD 2 (Debian package bird2): skipped");
        try (InboxCluster cluster = InboxCluster.start("lbbgp", 2,
                List.of("--routing", "bgp", "--bgp-peer", ROUTER + "," + ROUTER_AS))) {
            String node1 = cluster.nodeAddress("node1");
            String node2 = cluster.nodeAddress("node2");
            Netns routerNetns = cluster.addSegmentMachine("router", 250);
            var work = cluster.names().stateDir().resolve("router");
            Files.createDirectories(work);
            try (BirdRouter router = new BirdRouter(routerNetns, work, ROUTER, ROUTER_AS,
                    Map.of("node1", node1, "node2", node2), BgpLab.JUTE_AS).start()) {
                await("BIRD's sessions with both nodes", router::allEstablished, () -> router.diagnostics() + logs(cluster));
                var client = cluster.client();
                client.resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build()).create();
                createPod(cluster, "web-1", "web", "node1");
                cluster.awaitReady(NS, List.of("web-1"), Duration.ofSeconds(90));

                // externalTrafficPolicy Cluster: both nodes announce, with themselves as next hop.
                long created = System.nanoTime();
                String clusterIp = loadBalancerAddress(cluster, createLoadBalancer(cluster, "lb-cluster", "web", "Cluster"));
                long assigned = System.nanoTime();
                String clusterRoute = clusterIp + "/32";
                await("BIRD learns " + clusterRoute + " from both nodes", () -> router.nextHops(clusterRoute).equals(Set.of(node1, node2)),
                        () -> router.diagnostics() + logs(cluster));
                System.out.printf("LoadBalancer %s: address in the status %d ms after the Service was created, learned by BIRD"
                                  + " from both nodes %d ms after that%n", clusterIp, (assigned - created) / 1_000_000,
                        (System.nanoTime() - assigned) / 1_000_000);
                await("BIRD's kernel route to " + clusterRoute, () -> !router.kernelRoute(clusterRoute).isEmpty(), router::diagnostics);
                assertTrue(routerNetns.exec("ip", "route", "show", "default").stdout().isBlank(),
                        "the router reaches the LoadBalancer address only through BGP");
                Probe.Result viaBgp = eventually(() -> Probe.run(routerNetns.path(), "TCP", InetAddress.ofLiteral(clusterIp), 80,
                        Duration.ofSeconds(2)), "router → " + clusterIp + ":80 over " + router.kernelRoute(clusterRoute));
                assertTrue(viaBgp.answer().startsWith(NS + "/web-1 from "), viaBgp.toString());
                assertCliShowsLoadBalancerRoute(cluster, "node2", clusterRoute);

                // externalTrafficPolicy Local without any endpoint: programmed on both nodes, announced by none.
                String localIp = loadBalancerAddress(cluster, createLoadBalancer(cluster, "lb-local", "late", "Local"));
                String localRoute = localIp + "/32";
                for (String node : List.of("node1", "node2")) {
                    await(node + " programs " + localIp, () -> programs(cluster, node, localIp), () -> logs(cluster));
                }
                Thread.sleep(2_000); // the pass that programmed it called the announcer; give BGP time to (wrongly) send
                assertEquals(Set.of(), router.nextHops(localRoute), "no node has a local endpoint: " + router.diagnostics());
                assertFalse(Probe.run(routerNetns.path(), "TCP", InetAddress.ofLiteral(localIp), 80, Duration.ofSeconds(1)).reachable());

                // A local endpoint appears on node2: node2, and only node2, announces; the client address is kept.
                createPod(cluster, "late-1", "late", "node2");
                cluster.awaitReady(NS, List.of("late-1"), Duration.ofSeconds(90));
                await("BIRD learns " + localRoute + " from node2 only", () -> router.nextHops(localRoute).equals(Set.of(node2)),
                        () -> router.diagnostics() + logs(cluster));
                Probe.Result local = eventually(() -> Probe.run(routerNetns.path(), "TCP", InetAddress.ofLiteral(localIp), 80,
                        Duration.ofSeconds(2)), "router → " + localIp + ":80");
                assertEquals(NS + "/late-1 from " + ROUTER, local.answer(), "eTP Local keeps the client address");
                // The mesh is not told: node1, which does not announce the eTP Local address, installs no BGP route
                // to it via node2 (it learned node2's pod CIDR over the same mesh session meanwhile).
                Netns node1Netns = new Netns(cluster.names().nodeNetns("node1"));
                String podCidr2 = cluster.client().nodes().withName("node2").get().getSpec().getPodCIDR();
                await("node1 routes to node2's pod CIDR over BGP", () -> node1Netns.exec("ip", "route", "show", podCidr2, "proto", "74")
                        .stdout().contains("via " + node2), () -> logs(cluster));
                String node1Routes = node1Netns.exec("ip", "route", "show", "proto", "74").stdout();
                assertFalse(node1Routes.lines().anyMatch(l -> l.startsWith(localIp + " ") || l.startsWith(clusterIp + " ")),
                        "node1 installed a route to a LoadBalancer address: " + node1Routes);

                // The router restarts with empty tables: the nodes announce everything again on the new sessions.
                router.stop();
                assertEquals(Set.of(), router.nextHops(clusterRoute));
                router.start();
                await("both routes re-advertised after the router restarted",
                        () -> router.nextHops(clusterRoute).equals(Set.of(node1, node2)) && router.nextHops(localRoute).equals(Set.of(node2)),
                        () -> router.diagnostics() + logs(cluster));

                // The local endpoint goes: withdrawn.
                client.pods().inNamespace(NS).withName("late-1").delete();
                await("BIRD loses " + localRoute, () -> router.nextHops(localRoute).isEmpty(), () -> router.diagnostics() + logs(cluster));

                // The Service goes: withdrawn by both nodes, the router's kernel route with it.
                long deleted = System.nanoTime();
                client.services().inNamespace(NS).withName("lb-cluster").delete();
                await("BIRD loses " + clusterRoute, () -> router.nextHops(clusterRoute).isEmpty() && router.kernelRoute(clusterRoute).isEmpty(),
                        () -> router.diagnostics() + logs(cluster));
                System.out.printf("LoadBalancer %s: withdrawn from BIRD (and its kernel) %d ms after the Service was deleted%n", clusterIp,
                        (System.nanoTime() - deleted) / 1_000_000);
                Probe.Result gone = Probe.run(routerNetns.path(), "TCP", InetAddress.ofLiteral(clusterIp), 80, Duration.ofSeconds(1));
                assertFalse(gone.reachable(), gone.toString());
            }
        }
    }

    private static void createPod(InboxCluster cluster, String name, String app, String node) {
        cluster.client().resource(new PodBuilder().withNewMetadata().withNamespace(NS).withName(name).addToLabels("app", app).endMetadata()
                .withNewSpec().withNodeName(node).addNewContainer().withName("web").withImage("jute/serve-hostname")
                // A "peer…" port answers with the client address it saw.
                .addNewPort().withName("peer-http").withContainerPort(8080).withProtocol("TCP").endPort()
                .endContainer().endSpec().build()).create();
    }

    private static Service createLoadBalancer(InboxCluster cluster, String name, String app, String externalTrafficPolicy) {
        return cluster.client().resource(new ServiceBuilder().withNewMetadata().withNamespace(NS).withName(name).endMetadata()
                .withNewSpec().withType("LoadBalancer").withExternalTrafficPolicy(externalTrafficPolicy).addToSelector("app", app)
                .addNewPort().withPort(80).withTargetPort(new IntOrString(8080)).withProtocol("TCP").endPort().endSpec().build()).create();
    }

    /** Waits for the address the agents assign from the pool into {@code status.loadBalancer.ingress}. */
    private static String loadBalancerAddress(InboxCluster cluster, Service service) {
        String[] ip = new String[1];
        await("a LoadBalancer address for " + service.getMetadata().getName(), () -> {
            Service now = cluster.client().services().inNamespace(NS).withName(service.getMetadata().getName()).get();
            var ingress = now.getStatus() == null || now.getStatus().getLoadBalancer() == null ? null : now.getStatus().getLoadBalancer().getIngress();
            if (ingress == null || ingress.isEmpty()) {
                return false;
            }
            ip[0] = ingress.getFirst().getIp();
            return true;
        }, () -> logs(cluster));
        assertTrue(ip[0].startsWith("172.18.255."), "from the pool: " + ip[0]);
        return ip[0];
    }

    /** Whether a node's pinned Service maps hold the external frontend of {@code address}. */
    private static boolean programs(InboxCluster cluster, String node, String address) {
        try (ServiceMaps maps = ServiceMaps.openPinned(cluster.bpfPinDir(node))) {
            return maps.services().stream().anyMatch(e -> e.frontend().scope() == FrontendScope.EXTERNAL
                                                          && e.frontend().address().equals(InetAddress.ofLiteral(address)));
        }
    }

    @SuppressWarnings("unchecked")
    private static void assertCliShowsLoadBalancerRoute(InboxCluster cluster, String node, String route) throws Exception {
        Map<String, Object> answer = BgpCli.ask(cluster.adminSocket(node), "bgp-routes");
        Map<String, Object> entry = ((List<Map<String, Object>>) answer.get("routes")).stream()
                .filter(r -> route.equals(r.get("prefix"))).findFirst()
                .orElseThrow(() -> new AssertionError("jute bgp routes on " + node + " lacks " + route + ": " + answer));
        assertEquals("loadbalancer", entry.get("origin"), entry.toString());
        assertEquals("local", entry.get("from"), entry.toString());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int code = BgpCli.run(List.of("routes", route, "--admin-socket", cluster.adminSocket(node).toString()),
                new PrintStream(out, true, StandardCharsets.UTF_8), System.err);
        String table = out.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, table);
        assertTrue(table.contains(route) && table.contains("LoadBalancer"), table);
    }

    private static Probe.Result eventually(java.util.function.Supplier<Probe.Result> probe, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        Probe.Result last;
        do {
            last = probe.get();
            if (last.reachable()) {
                return last;
            }
            Thread.sleep(200);
        } while (System.nanoTime() < deadline);
        throw new AssertionError(what + ": last probe " + last);
    }

    private static void await(String what, java.util.function.BooleanSupplier condition, java.util.function.Supplier<String> explain) {
        BgpLab.await(what, WAIT, condition, explain);
    }

    private static String logs(InboxCluster cluster) {
        StringBuilder out = new StringBuilder();
        for (String node : cluster.nodeNames()) {
            String log = cluster.agentLog(node);
            out.append("\n--- agent ").append(node).append(" (tail)\n").append(log.substring(Math.max(0, log.length() - 4000)));
        }
        return out.toString();
    }
}
