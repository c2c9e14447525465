package dev.jute.inbox.cluster;

import dev.jute.dataplane.bpf.ServiceEntry;
import dev.jute.dataplane.bpf.ServiceMaps;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;

import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The Services part of {@code ./jute demo}, on the three-tier app: a ClusterIP backend Service with
 * ClientIP affinity, a NodePort frontend with externalTrafficPolicy Local, a LoadBalancer API gateway
 * (its address from the agents' pool, announced over BGP to the edge router of {@link BgpDemo}) and a
 * headless postgres Service, each shown with real traffic, from pods and from an external client on the
 * cluster's segment.
 */
final class ServiceDemo {

    private static final Duration PROBE = Duration.ofSeconds(2);

    private ServiceDemo() {
    }

    /** Runs the section; whether everything behaved as Kubernetes specifies. */
    static boolean run(InboxCluster cluster, List<Pod> pods, BgpDemo routing) throws InterruptedException {
        var client = cluster.client();
        System.out.println("Services (Jute's eBPF Service NAT, no kube-proxy):");
        Service backend = client.resource(service("backend", "backend").editSpec().withSessionAffinity("ClientIP")
                .addNewPort().withPort(8080).withTargetPort(new IntOrString("serve")).withProtocol("TCP").endPort().endSpec().build()).create();
        Service frontend = client.resource(service("frontend", "frontend").editSpec().withType("NodePort").withExternalTrafficPolicy("Local")
                .addNewPort().withPort(80).withTargetPort(new IntOrString("serve")).withProtocol("TCP").endPort().endSpec().build()).create();
        long gatewayCreated = System.nanoTime();
        client.resource(service("api-gateway", "frontend").editSpec().withType("LoadBalancer")
                .addNewPort().withPort(443).withTargetPort(new IntOrString("serve")).withProtocol("TCP").endPort().endSpec().build()).create();
        client.resource(service("postgres", "postgres").editSpec().withClusterIP("None")
                .addNewPort().withPort(5432).withProtocol("TCP").endPort().endSpec().build()).create();
        // Timed at once, before the other checks: address assignment, then the nodes' BGP announcements reaching BIRD.
        String lbIp = awaitLoadBalancerIp(cluster, "api-gateway");
        Duration assigned = Duration.ofNanos(System.nanoTime() - gatewayCreated);
        BgpDemo.Announcement announced = lbIp == null ? null : routing.awaitAnnounced(lbIp, gatewayCreated);
        boolean ok = true;

        // ClusterIP + affinity: every probe of one client lands on the same backend pod.
        InetAddress backendVip = InetAddress.ofLiteral(backend.getSpec().getClusterIP());
        var from = cluster.podNetns("default", "frontend-0").orElseThrow();
        List<String> answers = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            answers.add(until(() -> Probe.run(from, "TCP", backendVip, 8080, PROBE)).answer());
        }
        boolean sticky = answers.stream().distinct().count() == 1 && answers.getFirst() != null;
        ok &= sticky;
        System.out.printf(Locale.ROOT, "  backend      ClusterIP %s:8080, ClientIP affinity: frontend-0 x5 -> %s %s%n",
                backendVip.getHostAddress(), answers, sticky ? "(one pod: sticky)" : "(!) not sticky");

        // The same ClusterIP from node1's host network (a process in node1's namespace and cgroup): socket-LB.
        if (cluster.nodeCgroup("node1").isPresent()) {
            String hostAnswer = hostNetworkAnswer(cluster, backendVip.getHostAddress());
            boolean reached = hostAnswer.startsWith("ok ") && hostAnswer.contains(" peer=" + backendVip.getHostAddress() + ":8080");
            ok &= reached;
            System.out.printf(Locale.ROOT, "  backend      ClusterIP %s:8080 from node1's host network (socket-LB) -> %s%n",
                    backendVip.getHostAddress(), reached ? hostAnswer.substring(3, hostAnswer.indexOf(" us=")) : "(!) " + hostAnswer);
        }

        // NodePort, externalTrafficPolicy Local: from outside, each node answers with its own frontend pod, client IP kept.
        int nodePort = frontend.getSpec().getPorts().getFirst().getNodePort();
        for (String node : cluster.nodeNames()) {
            Set<String> local = new HashSet<>();
            pods.stream().filter(p -> p.getSpec().getNodeName().equals(node) && p.getMetadata().getName().startsWith("frontend"))
                    .forEach(p -> local.add("default/" + p.getMetadata().getName()));
            Probe.Result r = local.isEmpty() ? Probe.run(cluster.externalNetns(), "TCP", InetAddress.ofLiteral(cluster.nodeAddress(node)), nodePort, PROBE)
                    : until(() -> Probe.run(cluster.externalNetns(), "TCP", InetAddress.ofLiteral(cluster.nodeAddress(node)), nodePort, PROBE));
            boolean right = local.isEmpty() ? !r.reachable() : r.reachable() && local.contains(r.answer());
            ok &= right;
            System.out.printf(Locale.ROOT, "  frontend     NodePort %s:%d (Local) from outside -> %s %s%n", cluster.nodeAddress(node), nodePort,
                    r.reachable() ? r.answer() : "no answer (" + r.error() + ")", right ? "(a pod on " + node + ")" : "(!)");
        }

        // LoadBalancer: an address from --lb-pool, reachable from outside only through the /32 the nodes announced over BGP.
        boolean lbOk = false;
        if (lbIp != null) {
            Probe.Result r = until(() -> Probe.run(cluster.externalNetns(), "TCP", InetAddress.ofLiteral(lbIp), 443, PROBE));
            List<String> routes = routing.clientRoutes(lbIp);
            boolean overBgp = !routes.isEmpty() && routes.stream().allMatch(route -> route.contains(" proto bird"));
            lbOk = r.reachable() && r.answer().startsWith("default/frontend-") && announced.fromAll() != null && overBgp;
            System.out.printf(Locale.ROOT, "  api-gateway  LoadBalancer %s:443 (assigned from 172.18.255.0/24) from outside -> %s%n", lbIp,
                    r.reachable() ? r.answer() : "no answer (!)");
            System.out.printf(Locale.ROOT, "               address in the status %d ms after the Service was created; %s%n", assigned.toMillis(),
                    announced.first() == null ? "(!) BIRD never learned " + announced.prefix()
                    : announced.fromAll() == null ? String.format(Locale.ROOT, "(!) BIRD learned %s after %d ms, but only via %s",
                            announced.prefix(), announced.first().toMillis(), announced.nextHops())
                    : String.format(Locale.ROOT, "BIRD had %s after %d ms, from all %d nodes after %d ms", announced.prefix(),
                            announced.first().toMillis(), announced.nextHops().size(), announced.fromAll().toMillis()));
            System.out.printf(Locale.ROOT, "               the client's route to it: %s%n", routes.isEmpty() ? "none (!)"
                    : String.join("; ", routes) + (overBgp ? " (learned over BGP, the only one)" : " (!) not only BGP's"));
            routing.learnedByRouter().stream().filter(line -> line.startsWith(announced.prefix() + " "))
                    .forEach(line -> System.out.println("               BIRD: " + line));
        } else {
            System.out.println("  api-gateway  LoadBalancer: no address assigned within 20 s (!)");
        }
        ok &= lbOk;

        // Headless: no virtual IP, nothing programmed; clients use the pod addresses (DNS would list them).
        boolean headless;
        try (ServiceMaps maps = ServiceMaps.openPinned(cluster.bpfPinDir("node1"))) {
            List<ServiceEntry> entries = maps.services();
            headless = entries.stream().noneMatch(e -> e.frontend().port() == 5432);
            System.out.printf(Locale.ROOT, "  postgres     headless (clusterIP None): %s; node1 programs %d frontends in all%n",
                    headless ? "no frontend programmed, pods are reached by their own addresses" : "(!) a frontend exists", entries.size());
        }
        ok &= headless;
        System.out.println(ok ? "  every Service behaved as specified" : "  (!) marks what differs");
        System.out.println();
        return ok;
    }

    private static ServiceBuilder service(String name, String tier) {
        return new ServiceBuilder().withNewMetadata().withName(name).withNamespace("default").endMetadata()
                .withNewSpec().addToSelector("tier", tier).endSpec();
    }

    private static String awaitLoadBalancerIp(InboxCluster cluster, String name) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < deadline) {
            Service s = cluster.client().services().inNamespace("default").withName(name).get();
            if (s.getStatus() != null && s.getStatus().getLoadBalancer() != null && s.getStatus().getLoadBalancer().getIngress() != null
                && !s.getStatus().getLoadBalancer().getIngress().isEmpty()) {
                return s.getStatus().getLoadBalancer().getIngress().getFirst().getIp();
            }
            Thread.sleep(100);
        }
        return null;
    }

    /** One connection of a host-network client on node1 to the VIP: "ok ANSWER peer=VIP:PORT us=..." or the error. */
    private static String hostNetworkAnswer(InboxCluster cluster, String vip) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        String line;
        do {
            try {
                line = HostNetworkClient.runOn(cluster, "node1", Duration.ofSeconds(30), "tcp", vip, "8080").getFirst();
            } catch (IllegalStateException e) {
                return e.getMessage();
            }
            if (line.startsWith("ok ")) {
                return line;
            }
            Thread.sleep(200);
        } while (System.nanoTime() < deadline);
        return line;
    }

    /** Retries a probe for up to 15 s (the agents program a new Service within moments). */
    private static Probe.Result until(java.util.function.Supplier<Probe.Result> probe) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        Probe.Result r = probe.get();
        while (!r.reachable() && System.nanoTime() < deadline) {
            Thread.sleep(200);
            r = probe.get();
        }
        return r;
    }
}
