package dev.jute.agent;

import dev.jute.agent.admin.AdminServer;
import dev.jute.agent.bgp.BgpService;
import dev.jute.agent.policy.PolicyAgent;
import dev.jute.agent.service.ServiceAgent;
import dev.jute.agent.health.AgentMetrics;
import dev.jute.agent.health.HealthServer;
import dev.jute.agent.k8s.ClusterCache;
import dev.jute.agent.k8s.KubernetesConnection;
import dev.jute.agent.k8s.NodePodCidrs;
import dev.jute.agent.k8s.NodeRouteSync;
import dev.jute.agent.k8s.RoutingMode;
import dev.jute.dataplane.NetlinkSocket;
import dev.jute.dataplane.PtpPodWiring;
import dev.jute.dataplane.RouteNetlink;
import dev.jute.dataplane.Sysctl;
import dev.jute.ipam.AddressRange;
import dev.jute.ipam.FileIpamStore;
import dev.jute.ipam.IpFamily;
import dev.jute.ipam.IpPrefix;
import dev.jute.ipam.Ipam;

import io.fabric8.kubernetes.client.KubernetesClient;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.concurrent.CountDownLatch;

/**
 * The node agent: owns the IPAM state and the dataplane, and serves jute-cni. Start-up order matters:
 * in Kubernetes mode the node's pod CIDRs are read from its Node object first; state is reconciled with
 * the kernel before the first CNI request is accepted.
 */
public final class Agent implements AutoCloseable {

    private static final Log LOG = Log.of("agent");

    private final AgentConfig config;
    private final Ipam ipam;
    private final CniMetrics metrics;
    private final CniServer cniServer;
    private final Kubernetes kubernetes;
    private final HealthServer health;
    /** BGP routing with {@code --routing bgp}, else null. */
    private volatile BgpService bgp;
    /** NetworkPolicy enforcement, else null (--no-policy, or no BPF filesystem). */
    private volatile PolicyAgent policy;
    /** Service NAT (Kubernetes mode), else null. */
    private volatile ServiceAgent services;
    /** The socket of {@code jute bgp|policy ...}. */
    private volatile AdminServer admin;
    private final CountDownLatch stopped = new CountDownLatch(1);

    /** The Kubernetes side; all null in static mode, {@code routes} null unless routing is direct. */
    private record Kubernetes(KubernetesClient client, ClusterCache cluster, NodeRouteSync routes, NetlinkSocket routeSocket) {
        void close() {
            if (routes != null) {
                routes.close();
            }
            if (routeSocket != null) {
                routeSocket.close();
            }
            if (cluster != null) {
                cluster.close();
            }
            if (client != null) {
                client.close();
            }
        }
    }

    private Agent(AgentConfig config, Ipam ipam, CniMetrics metrics, CniServer cniServer, Kubernetes kubernetes,
                  HealthServer health) {
        this.config = config;
        this.ipam = ipam;
        this.metrics = metrics;
        this.cniServer = cniServer;
        this.kubernetes = kubernetes;
        this.health = health;
    }

    public static Agent start(AgentConfig config) throws IOException, InterruptedException {
        Log.enableDebug(config.debug());
        Kubernetes kubernetes = new Kubernetes(null, null, null, null);
        List<String> cidrs = config.podCidrs();
        if (config.kubernetes() != AgentConfig.KubernetesMode.STATIC) {
            LOG.info("connecting to Kubernetes", "mode", config.kubernetes(), "kubeconfig", config.kubeconfig());
            KubernetesClient client = KubernetesConnection.connect(config.kubeconfig());
            ClusterCache cluster = ClusterCache.start(client);
            kubernetes = new Kubernetes(client, cluster, null, null);
            try {
                cidrs = NodePodCidrs.await(cluster, config.nodeName());
            } catch (InterruptedException | RuntimeException e) {
                kubernetes.close();
                throw e;
            }
        }
        List<IpPrefix> pools = new ArrayList<>();
        for (String cidr : cidrs) {
            pools.add(IpPrefix.parse(cidr));
        }
        Ipam ipam;
        try {
            ipam = Ipam.open(pools, List.<AddressRange>of(), FileIpamStore.open(config.stateDir().resolve("ipam")));
        } catch (IOException | RuntimeException e) {
            kubernetes.close();
            throw e;
        }
        CniServer server = null;
        BgpService bgp = null;
        PolicyAgent policy = null;
        ServiceAgent services = null;
        AdminServer admin = null;
        try {
            enableIpv6Forwarding(pools);
            PodNetworks pods = new PodNetworks(ipam, new PtpPodWiring(), config.mtu());
            pods.reconcile();
            for (var record : ipam.unreadableRecords()) {
                LOG.warn("unreadable IPAM record keeps its address reserved", "record", record);
            }
            // After reconcile (only live interfaces are adopted), before the first CNI request.
            policy = PolicyAgent.start(config.policy(), config.nodeName(),
                    config.kubernetes() == AgentConfig.KubernetesMode.IN_CLUSTER, ipam, kubernetes.cluster(),
                    kubernetes.client()).orElse(null);
            if (policy != null) {
                pods.addObserver(policy);
            }
            CniMetrics metrics = new CniMetrics();
            server = CniServer.start(config.socket(), new CniRequestHandler(pods, metrics), config.cniWorkers());
            LOG.info("serving CNI requests", "node", config.nodeName(), "socket", config.socket(), "pools", pools,
                    "allocated", ipam.allocations().size());
            kubernetes = startRouting(config, kubernetes);
            bgp = config.routing() == RoutingMode.BGP
                    ? BgpService.start(config.bgp(), cidrs, config.stateDir(), kubernetes.cluster(), config.nodeName())
                    : null;
            // After BGP: the first Service pass already announces this node's LoadBalancer addresses.
            services = ServiceAgent.start(config.services(), config.policy().pinDirectory(), config.nodeName(),
                    kubernetes.cluster(), kubernetes.client(), bgp == null ? null : bgp.loadBalancerAnnouncer()).orElse(null);
            if (services == null && bgp != null) {
                bgp.noLoadBalancerAddresses();
            }
            admin = startAdmin(config, bgp, policy);
            HealthServer health = null;
            if (config.healthListen() != null) {
                Kubernetes k = kubernetes;
                AgentMetrics agentMetrics = new AgentMetrics(metrics, ipam, k.cluster(), k.routes());
                PolicyAgent p = policy;
                ServiceAgent s = services;
                health = HealthServer.start(config.healthListen(), () -> liveness(k),
                        () -> concat(p == null ? readiness(k) : concat(readiness(k), p.readinessProblems()),
                                s == null ? List.of() : s.readinessProblems()),
                        () -> (p == null ? agentMetrics.scrape() : agentMetrics.scrape() + policyMetrics(p))
                              + (s == null ? "" : serviceMetrics(s)));
            }
            Agent agent = new Agent(config, ipam, metrics, server, kubernetes, health);
            agent.bgp = bgp;
            agent.policy = policy;
            agent.services = services;
            agent.admin = admin;
            return agent;
        } catch (IOException | RuntimeException e) {
            if (admin != null) {
                admin.close();
            }
            if (bgp != null) {
                bgp.close();
            }
            if (services != null) {
                services.close();
            }
            if (policy != null) {
                policy.close();
            }
            if (server != null) {
                server.close();
            }
            kubernetes.close();
            ipam.close();
            throw e;
        }
    }

    /** One root-only admin socket for every CLI command of the capabilities that are on. */
    private static AdminServer startAdmin(AgentConfig config, BgpService bgp, PolicyAgent policy) throws IOException {
        Map<String, Function<Map<String, Object>, Map<String, Object>>> commands = new HashMap<>();
        if (bgp != null) {
            commands.putAll(bgp.adminCommands());
        }
        if (policy != null) {
            commands.putAll(policy.adminCommands());
        }
        return AdminServer.start(config.bgp().adminSocket(config.socket()), commands);
    }

    private static Kubernetes startRouting(AgentConfig config, Kubernetes kubernetes) {
        if (kubernetes.cluster() == null) {
            return kubernetes;
        }
        if (config.routing() == RoutingMode.BGP) {
            return kubernetes; // BgpService routes (started by start())
        }
        NetlinkSocket socket = NetlinkSocket.open();
        NodeRouteSync routes = NodeRouteSync.start(config.nodeName(), kubernetes.cluster(), new RouteNetlink(socket));
        LOG.info("direct routing to the other nodes' pod CIDRs");
        return new Kubernetes(kubernetes.client(), kubernetes.cluster(), routes, socket);
    }

    private static List<String> liveness(Kubernetes kubernetes) {
        if (kubernetes.routes() != null && !kubernetes.routes().alive()) {
            return List.of("the route sync thread has stopped");
        }
        return List.of();
    }

    private static List<String> readiness(Kubernetes kubernetes) {
        List<String> problems = new ArrayList<>(liveness(kubernetes));
        if (kubernetes.cluster() != null) {
            kubernetes.cluster().state().forEach((kind, state) -> {
                if (!state.synced()) {
                    problems.add("informer " + kind + " has not synced");
                }
            });
        }
        if (kubernetes.routes() != null && !kubernetes.routes().converged()) {
            problems.add("routes to the other nodes have not converged");
        }
        return problems;
    }

    /**
     * IPv6 forwarding is gated by {@code all.forwarding} on kernels before 6.17 (newer ones honour the
     * per-interface {@code force_forwarding} the wiring sets). Only when the node has an IPv6 pool, and
     * only in the agent's own namespace: the node's.
     */
    private static void enableIpv6Forwarding(List<IpPrefix> pools) {
        if (pools.stream().anyMatch(p -> p.family() == IpFamily.IPV6) && !Sysctl.exists(Sysctl.interfaceKey("ipv6", "all", "force_forwarding"))) {
            Sysctl.write("net.ipv6.conf.all.forwarding", "1");
        }
    }

    private static List<String> concat(List<String> first, List<String> second) {
        List<String> all = new ArrayList<>(first);
        all.addAll(second);
        return all;
    }

    private static String policyMetrics(PolicyAgent policy) {
        dev.jute.agent.health.PrometheusText text = new dev.jute.agent.health.PrometheusText();
        policy.writeMetrics(text);
        return text.toString();
    }

    private static String serviceMetrics(ServiceAgent services) {
        dev.jute.agent.health.PrometheusText text = new dev.jute.agent.health.PrometheusText();
        services.writeMetrics(text);
        return text.toString();
    }

    public void awaitShutdown() throws InterruptedException {
        stopped.await();
    }

    @Override
    public void close() {
        if (bgp != null) {
            bgp.close(); // graceful: peers keep our routes, the kernel keeps theirs
        }
        if (admin != null) {
            admin.close();
        }
        if (health != null) {
            health.close();
        }
        if (services != null) {
            services.close(); // pinned maps and the uplink program keep translating
        }
        kubernetes.close();
        cniServer.close();
        if (policy != null) {
            policy.close(); // pinned maps and attached programs keep enforcing
        }
        try {
            ipam.close();
        } catch (IOException e) {
            LOG.warn("cannot close the IPAM store", "error", e.getMessage());
        }
        metrics.snapshot().forEach((series, s) -> LOG.info("cni requests", "series", series, "count", s.count(),
                "mean_ms", String.format(java.util.Locale.ROOT, "%.1f", s.meanMillis())));
        LOG.info("stopped", "node", config.nodeName());
        stopped.countDown();
    }
}
