package dev.jute.agent.service;

import dev.jute.agent.CoalescingLoop;

import dev.jute.agent.Log;
import dev.jute.agent.health.PrometheusText;
import dev.jute.agent.k8s.ClusterCache;
import dev.jute.agent.k8s.NodeInfo;
import dev.jute.dataplane.Address;
import dev.jute.dataplane.Cgroup2;
import dev.jute.dataplane.LibC;
import dev.jute.dataplane.Link;
import dev.jute.dataplane.NetlinkSocket;
import dev.jute.dataplane.RouteNetlink;
import dev.jute.dataplane.Sysctl;
import dev.jute.dataplane.bpf.BpfFilesystem;
import dev.jute.dataplane.bpf.ServiceDataplane;
import dev.jute.dataplane.bpf.ServiceFrontend;
import dev.jute.dataplane.bpf.SocketLoadBalancer;
import io.fabric8.kubernetes.api.model.LoadBalancerIngressBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Services as one capability of the agent (the kube-proxy replacement): compiles Services and
 * EndpointSlices into frontends ({@link ServiceCompiler}), writes the difference into the pinned maps
 * ({@link ServiceSyncer}), puts {@code from_netdev} on the node's uplink for NodePort and
 * LoadBalancer traffic, hands out LoadBalancer addresses from {@code --lb-pool} when this node leads,
 * serves {@code healthCheckNodePort}s and tells the {@link LoadBalancerAnnouncer} which LoadBalancer
 * addresses this node should attract ({@link LoadBalancerAnnouncements}). ClusterIP traffic of pods is
 * translated by {@code from_pod}, which NetworkPolicy puts on every pod link, so pods reach Services
 * only where the policy dataplane runs. Host-network processes reach ClusterIPs through the socket-LB
 * hooks ({@link SocketLoadBalancer}) on {@code --socket-lb-cgroup}.
 *
 * <p>Nothing is written before the informers have synced: a partial view would delete the frontends
 * a restarted agent adopted from the pins.
 */
public final class ServiceAgent implements AutoCloseable {

    private static final Log LOG = Log.of("service");
    static final Path NODE_BPF_FILESYSTEM = Path.of("/sys/fs/bpf");

    private final String nodeName;
    private final ServiceOptions options;
    private final ClusterCache cluster;
    private final KubernetesClient client;
    private final LoadBalancerAnnouncer announcer;
    private final ServiceDataplane dataplane;
    private final SocketLoadBalancer socketLb;
    private final NetlinkSocket netlinkSocket;
    private final ServiceSyncer syncer;
    private final IncrementalServiceCompiler compiler = new IncrementalServiceCompiler();
    private final HealthCheckServers healthChecks = new HealthCheckServers();
    private final CoalescingLoop loop;
    private final AtomicLong passes = new AtomicLong();
    private final AtomicLong statusWrites = new AtomicLong();
    private final AtomicLong socketsTerminated = new AtomicLong();
    /** The first pass also ends sockets whose backends retired while no agent ran (the maps tell which). */
    private boolean socketTerminationPending = true;
    private volatile boolean converged;
    private boolean syncFailed;
    private volatile int uplinkIndex;
    private volatile List<String> problems = List.of();
    /** What the announcer was told last; null before the first pass, which always tells it (even nothing). */
    private Set<InetAddress> announced;

    private ServiceAgent(String nodeName, ServiceOptions options, ClusterCache cluster, KubernetesClient client,
                         LoadBalancerAnnouncer announcer, ServiceDataplane dataplane, SocketLoadBalancer socketLb,
                         NetlinkSocket netlinkSocket) {
        this.nodeName = nodeName;
        this.options = options;
        this.cluster = cluster;
        this.client = client;
        this.announcer = announcer;
        this.dataplane = dataplane;
        this.socketLb = socketLb;
        this.netlinkSocket = netlinkSocket;
        this.syncer = new ServiceSyncer(dataplane.maps());
        this.loop = new CoalescingLoop("service-sync", LOG, Duration.ofMillis(200), this::pass);
    }

    /**
     * Starts Service NAT, or returns empty when it is off: {@code --no-services}, static mode (no
     * Services without an API), or no usable BPF dataplane (logged; an error when {@code --lb-pool} or
     * {@code --uplink} asked for it explicitly).
     *
     * @param pinDirectory the policy's {@code --bpf-pin-dir}, or null for {@code /sys/fs/bpf/jute/<node>}
     */
    public static Optional<ServiceAgent> start(ServiceOptions options, Path pinDirectory, String nodeName,
                                               ClusterCache cluster, KubernetesClient client,
                                               LoadBalancerAnnouncer announcer) {
        if (options.disabled()) {
            LOG.info("Services are not implemented by Jute on this node (--no-services)");
            return Optional.empty();
        }
        if (cluster == null) {
            return Optional.empty();
        }
        Optional<String> unavailable = ServiceDataplane.unavailableReason();
        Path pins = pinDirectory != null ? pinDirectory : NODE_BPF_FILESYSTEM.resolve("jute").resolve(nodeName);
        if (unavailable.isEmpty() && pinDirectory == null && !BpfFilesystem.isBpfFilesystem(NODE_BPF_FILESYSTEM)) {
            unavailable = Optional.of(NODE_BPF_FILESYSTEM + " is not a BPF filesystem; give --bpf-pin-dir on one");
        }
        if (unavailable.isPresent()) {
            if (options.lbPool() != null || options.uplink() != null) {
                throw new IllegalStateException("cannot implement Services: " + unavailable.get());
            }
            LOG.warn("Services are NOT implemented on this node", "reason", unavailable.get());
            return Optional.empty();
        }
        ServiceDataplane dataplane = ServiceDataplane.open(pins);
        NetlinkSocket socket = null;
        SocketLoadBalancer socketLb = null;
        try {
            socketLb = startSocketLb(options.socketLb(), pins);
            socket = NetlinkSocket.open();
            ServiceAgent agent = new ServiceAgent(nodeName, options, cluster, client,
                    announcer == null ? LoadBalancerAnnouncer.NONE : announcer, dataplane, socketLb, socket);
            agent.attachUplink();
            cluster.onChange(agent.loop::trigger);
            agent.loop.start();
            LOG.info("Service NAT on", "pins", pins, "lb_pool", options.lbPool() == null ? "none" : options.lbPool().cidr(),
                    "uplink_ifindex", agent.uplinkIndex);
            return Optional.of(agent);
        } catch (RuntimeException e) {
            if (socket != null) {
                socket.close();
            }
            if (socketLb != null) {
                socketLb.close();
            }
            dataplane.close();
            throw e;
        }
    }

    /**
     * Attaches the socket-LB hooks to the chosen cgroup for the sockets of this (the node's) network
     * namespace, or with {@code none} removes an attachment an earlier agent left. The loaded hooks, or
     * null when off. Where the cgroup was not given explicitly, a missing cgroup v2 hierarchy or a
     * kernel that refuses the hooks only turns socket-LB off (pods' Services work without it); a failed
     * start leaves no hook attached, so "off" holds for sockets too.
     */
    private static SocketLoadBalancer startSocketLb(ServiceOptions.SocketLbCgroup choice, Path pins) {
        if (choice.off()) {
            int removed = SocketLoadBalancer.detach(pins);
            LOG.info("socket-LB off (--socket-lb-cgroup none): host-network processes do not reach ClusterIPs",
                    "hooks_removed", removed);
            return null;
        }
        boolean explicit = choice.cgroup() != null;
        Optional<Path> cgroup = explicit ? Optional.of(choice.cgroup()) : Cgroup2.mountRoot();
        Optional<String> problem = SocketLoadBalancer.unavailableReason();
        if (problem.isEmpty() && cgroup.isEmpty()) {
            problem = Optional.of("no cgroup v2 hierarchy is mounted in the agent's mount namespace");
        } else if (problem.isEmpty() && !Cgroup2.isCgroup2(cgroup.get())) {
            problem = Optional.of(cgroup.get() + " is not a cgroup v2 directory");
        }
        if (problem.isEmpty()) {
            SocketLoadBalancer socketLb = null;
            try {
                socketLb = SocketLoadBalancer.open(pins);
                long cookie = SocketLoadBalancer.currentNetnsCookie();
                socketLb.translateNamespace(cookie);
                socketLb.attach(cgroup.get());
                LOG.info("socket-LB attached: host-network processes reach ClusterIPs", "cgroup", cgroup.get(),
                        "netns_cookie", cookie, "hooks", SocketLoadBalancer.Hook.values().length);
                socketLb.terminationUnavailableReason().ifPresent(reason -> LOG.warn(
                        "host sockets connected to a backend that leaves its Service are not reset (kernel before 6.5?)",
                        "reason", reason));
                return socketLb;
            } catch (RuntimeException e) {
                if (socketLb != null) {
                    socketLb.close();
                }
                // Off means off: hooks an earlier agent pinned would go on translating forward only (or with
                // programs this agent cannot vouch for), so none is left behind.
                try {
                    SocketLoadBalancer.detach(pins);
                } catch (RuntimeException detachFailure) {
                    e.addSuppressed(detachFailure);
                }
                if (explicit) {
                    throw e;
                }
                problem = Optional.of(e.getMessage());
            }
        }
        if (explicit) {
            throw new IllegalStateException("--socket-lb-cgroup " + choice.cgroup() + ": " + problem.get());
        }
        LOG.warn("socket-LB off: host-network processes do not reach ClusterIPs (give --socket-lb-cgroup)",
                "reason", problem.get());
        return null;
    }

    /** The node's InternalIPs, from its Node object (what NodePorts listen on). */
    private List<InetAddress> nodeAddresses() {
        return cluster.node(nodeName).map(NodeInfo::of).map(NodeInfo::internalIps).orElse(List.of());
    }

    /**
     * Puts from_netdev on the uplink and tells the programs the node addresses Cluster-policy
     * connections are masqueraded to. Idempotent; retried by every pass until it succeeds (the Node
     * may not list its addresses yet).
     */
    private void attachUplink() {
        List<InetAddress> addresses = nodeAddresses();
        Inet4Address v4 = addresses.stream().filter(a -> a instanceof Inet4Address).map(a -> (Inet4Address) a).findFirst().orElse(null);
        Inet6Address v6 = addresses.stream().filter(a -> a instanceof Inet6Address).map(a -> (Inet6Address) a).findFirst().orElse(null);
        RouteNetlink netlink = new RouteNetlink(netlinkSocket);
        int index;
        if (options.uplink() != null) {
            index = netlink.link(options.uplink()).map(Link::index)
                    .orElseThrow(() -> new IllegalStateException("--uplink " + options.uplink() + ": no such interface"));
        } else {
            index = uplinkHolding(netlink, addresses);
            if (index == 0) {
                LOG.warn("no interface holds the node's InternalIP yet; NodePort and LoadBalancer wait", "addresses", addresses);
                return;
            }
        }
        dataplane.maps().setNodeAddresses(v4, v6);
        acceptLocalSources();
        dataplane.attachUplink(index);
        uplinkIndex = index;
    }

    /**
     * The kernel drops as martians packets that arrive with one of the node's own addresses as
     * source, and Service NAT makes such packets on purpose: from_netdev masquerades Cluster-policy
     * NodePort connections to the node address and turns replies of remote backends back into
     * packets from the frontend, and from_pod turns a local backend's reply to a NodePort client into
     * a packet from the node address. So the node accepts local sources on every interface ("all":
     * pod veths come and go). Pods cannot abuse it: from_pod drops any pod packet whose source is not
     * the pod's own address. Only in the agent's (the node's) namespace.
     */
    private static void acceptLocalSources() {
        String key = "net.ipv4.conf.all.accept_local";
        if (!"1".equals(Sysctl.read(key).strip())) {
            Sysctl.write(key, "1");
            LOG.info("the node accepts packets with its own source address (NodePort NAT)", "sysctl", key);
        }
    }

    private static int uplinkHolding(RouteNetlink netlink, List<InetAddress> nodeAddresses) {
        for (int family : new int[]{LibC.AF_INET, LibC.AF_INET6}) {
            for (Address address : netlink.addresses(family)) {
                InetAddress plain = address.address();
                for (InetAddress node : nodeAddresses) {
                    if (java.util.Arrays.equals(plain.getAddress(), node.getAddress())) {
                        return address.interfaceIndex();
                    }
                }
            }
        }
        return 0;
    }

    /** One convergence pass, on the loop's thread. */
    private void pass() {
        if (!cluster.synced()) {
            return;
        }
        if (uplinkIndex == 0) {
            attachUplink();
        }
        long started = System.nanoTime();
        List<Service> services = cluster.services();
        long compiledBefore = compiler.servicesCompiled();
        IncrementalServiceCompiler.Update update = compiler.compile(services, cluster.endpointSlices(),
                new ServiceCompiler.NodeContext(nodeName, nodeAddresses()));
        if (!update.problems().equals(problems)) {
            update.problems().forEach(p -> LOG.warn("Service skipped", "problem", p));
            problems = update.problems();
        }
        // After a failed write the changes it carried are known only to a full comparison.
        boolean compareAll = update.full() || syncFailed;
        syncFailed = true;
        // A write that fails may have retired backends first: the pass that follows walks the host sockets.
        boolean terminationWasPending = socketTerminationPending;
        socketTerminationPending = true;
        ServiceSyncer.Delta delta = compareAll ? syncer.apply(update.frontends())
                : syncer.apply(update.frontends(), update.changed());
        syncFailed = false;
        socketTerminationPending = terminationWasPending || delta.backendsRetired() > 0;
        if (!delta.empty()) {
            // Retired backends' connections are reset (TCP) or balanced anew by the programs on their next packet;
            // host sockets the socket-LB connected to them are aborted below.
            LOG.info("service frontends updated", "upserted", delta.upserted(), "deleted", delta.deleted(),
                    "backends_retired", delta.backendsRetired(), "services_compiled", compiler.servicesCompiled() - compiledBefore,
                    "frontends", syncer.frontends(), "us", (System.nanoTime() - started) / 1_000);
        }
        RuntimeException terminationFailure = null;
        if (socketTerminationPending) {
            try {
                socketTerminationPending = !terminateRetiredSockets();
            } catch (RuntimeException e) {
                terminationFailure = e;
            }
        }
        healthChecks.reconcile(healthChecks(services, compiler::frontendsOf, update.frontends()));
        if (options.lbPool() != null && leads()) {
            writeLoadBalancerStatus(services);
        }
        announce(services, update.frontends());
        passes.incrementAndGet();
        converged = true;
        if (terminationFailure != null) {
            // Everything else converged; failing the pass makes the loop retry the walk with backoff.
            throw new IllegalStateException("cannot abort the host sockets of retired backends: "
                                            + terminationFailure.getMessage(), terminationFailure);
        }
    }

    /**
     * Aborts the host sockets the socket-LB connected to backends that just retired: they never pass
     * the tc programs that reset a pod's connection. One walk of the node's TCP and UDP sockets, on
     * this loop's thread (in the node's namespace, like the whole agent). A failure is not fatal:
     * translation and the maps are fine, only those sockets linger until a retry of the walk succeeds
     * (see {@link #pass}) or their owners close them.
     *
     * @return whether the walk is done: false when the kernel refused to destroy a socket (the next pass walks again)
     */
    private boolean terminateRetiredSockets() {
        if (socketLb == null) {
            return true;
        }
        return socketLb.terminateRetiredSockets().map(pass -> {
            socketsTerminated.addAndGet(pass.terminated().size());
            if (!pass.terminated().isEmpty()) {
                LOG.info("host sockets of retired backends aborted", "sockets", pass.terminated().size(),
                        "walked", pass.socketsWalked(), "us", pass.nanos() / 1_000);
                pass.terminated().forEach(socket -> LOG.debug("aborted", "socket", socket));
            }
            // The kernel refused to destroy these; their translation stays, so the next pass walks again.
            pass.failed().forEach(failure -> LOG.warn("host socket of a retired backend not aborted",
                    "socket", failure.socket(), "errno", failure.errno()));
            return pass.failed().isEmpty();
        }).orElse(true);
    }

    /** The lexicographically first Ready node leads LoadBalancer IPAM (every agent agrees without a lock). */
    private boolean leads() {
        String leader = null;
        for (Node node : cluster.nodes()) {
            boolean ready = node.getStatus() != null && node.getStatus().getConditions() != null
                            && node.getStatus().getConditions().stream()
                                    .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
            String name = node.getMetadata().getName();
            if (ready && (leader == null || name.compareTo(leader) < 0)) {
                leader = name;
            }
        }
        return nodeName.equals(leader);
    }

    private void writeLoadBalancerStatus(List<Service> services) {
        Map<String, InetAddress> assignment = options.lbPool().assign(services);
        for (Service service : services) {
            InetAddress ip = assignment.get(ServiceCompiler.keyOf(service));
            if (ip == null || LoadBalancerIpam.ingressIps(service).equals(List.of(ip))) {
                continue;
            }
            Service updated = new ServiceBuilder(service).editOrNewStatus().withNewLoadBalancer()
                    .withIngress(new LoadBalancerIngressBuilder().withIp(ip.getHostAddress()).build())
                    .endLoadBalancer().endStatus().build();
            try {
                client.services().inNamespace(service.getMetadata().getNamespace()).resource(updated).updateStatus();
                statusWrites.incrementAndGet();
                LOG.info("LoadBalancer address assigned", "service", ServiceCompiler.keyOf(service), "ip", ip.getHostAddress());
            } catch (KubernetesClientException e) {
                // A conflict means a newer version is on its way through the informer: the next pass retries.
                LOG.warn("cannot write a LoadBalancer status", "service", ServiceCompiler.keyOf(service), "code", e.getCode(),
                        "error", e.getMessage());
            }
        }
    }

    /**
     * Tells the announcer this node's LoadBalancer addresses when they changed (see {@link LoadBalancerAnnouncements}).
     *
     * @param frontends the compiled frontends, which the syncer has just written: what the maps hold now
     */
    private void announce(List<Service> services, Map<ServiceFrontend.Key, CompiledFrontend> frontends) {
        Set<InetAddress> addresses = LoadBalancerAnnouncements.of(services, frontends);
        if (!addresses.equals(announced)) {
            // A failure propagates: the pass fails and the loop retries it with backoff; the maps are
            // already converged then, so only the announcement is redone.
            announcer.announce(addresses);
            announced = addresses;
        }
    }

    /**
     * Health check ports of the externalTrafficPolicy Local Services, with their node-local endpoint counts:
     * the endpoints of the frontends the node programs for the Service (a frontend whose claim another
     * Service won sends nothing to this one's endpoints, so they do not count for it).
     *
     * @param frontendsOf every frontend a Service ({@code namespace/name}) claims, won or lost
     * @param frontends   the winning claim of every frontend, what the maps hold
     */
    static Map<Integer, HealthCheckServers.Check> healthChecks(List<Service> services,
                                                               java.util.function.Function<String, List<CompiledFrontend>> frontendsOf,
                                                               Map<ServiceFrontend.Key, CompiledFrontend> frontends) {
        Map<Integer, HealthCheckServers.Check> checks = new HashMap<>();
        for (Service service : services) {
            var spec = service.getSpec();
            if (spec == null || !"Local".equals(spec.getExternalTrafficPolicy()) || spec.getHealthCheckNodePort() == null
                || spec.getHealthCheckNodePort() <= 0) {
                continue;
            }
            String key = ServiceCompiler.keyOf(service);
            // Per address family (a dual-stack pod is one endpoint in each family's slice).
            Set<InetAddress> v4 = new HashSet<>();
            Set<InetAddress> v6 = new HashSet<>();
            for (CompiledFrontend frontend : frontendsOf.apply(key)) {
                CompiledFrontend winner = frontends.get(frontend.key());
                if (winner == null || !winner.service().equals(key)) {
                    continue;
                }
                Set<InetAddress> family = frontend.key().address() instanceof Inet4Address ? v4 : v6;
                frontend.backends().stream().filter(dev.jute.dataplane.bpf.ServiceBackend::nodeLocal)
                        .forEach(b -> family.add(b.address()));
            }
            checks.put(spec.getHealthCheckNodePort(), new HealthCheckServers.Check(key, Math.max(v4.size(), v6.size())));
        }
        return checks;
    }

    /** Not ready until the maps hold the compiled cluster state once. */
    public List<String> readinessProblems() {
        return converged ? List.of() : List.of("Service frontends have not been programmed yet");
    }

    public void writeMetrics(PrometheusText text) {
        text.family("jute_service_frontends", "gauge", "Service frontends programmed in the BPF maps.");
        text.sample("jute_service_frontends", syncer.frontends());
        text.family("jute_service_map_writes_total", "counter", "Frontends written or deleted in the Service maps.");
        text.sample("jute_service_map_writes_total", syncer.writes());
        text.family("jute_service_backends_retired_total", "counter",
                "Backends that left a frontend (or whose frontend was deleted); their connections are reset (TCP) or balanced anew.");
        text.sample("jute_service_backends_retired_total", syncer.backendsRetired());
        text.family("jute_service_compiles_total", "counter", "Services compiled; unchanged Services are reused, not compiled again.");
        text.sample("jute_service_compiles_total", compiler.servicesCompiled());
        text.family("jute_service_sync_passes_total", "counter", "Service convergence passes.");
        text.sample("jute_service_sync_passes_total", passes.get());
        text.family("jute_service_problems", "gauge", "Services (or ports) skipped because they cannot be programmed.");
        text.sample("jute_service_problems", problems.size());
        text.family("jute_service_lb_status_writes_total", "counter", "LoadBalancer statuses this node wrote as IPAM leader.");
        text.sample("jute_service_lb_status_writes_total", statusWrites.get());
        text.family("jute_service_socket_lb_attached", "gauge",
                "1 when host-network processes reach ClusterIPs through the socket-LB hooks of this agent.");
        text.sample("jute_service_socket_lb_attached", socketLb != null ? 1 : 0);
        text.family("jute_service_sockets_terminated_total", "counter",
                "Host sockets the socket-LB had connected to a backend that left its Service, aborted since start.");
        text.sample("jute_service_sockets_terminated_total", socketsTerminated.get());
    }

    @Override
    public void close() {
        loop.close();
        healthChecks.close();
        netlinkSocket.close();
        // The uplink program, the socket-LB links and the pinned maps keep serving while no agent runs;
        // the next one adopts them.
        if (socketLb != null) {
            socketLb.close();
        }
        dataplane.close();
    }

    List<String> problems() {
        return new ArrayList<>(problems);
    }
}
