package dev.jute.inbox.cluster;

import dev.jute.inbox.Netns;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * A Kubernetes cluster made of network namespaces on this machine: the {@link ClusterNetwork}, the API
 * ({@link ApiServer}), the controllers a control plane runs ({@link NodeIpamController},
 * {@link Scheduler}, {@link EndpointSliceController}; Service allocation and defaulting live in the
 * API's admission), and per node a real Jute agent process ({@link NodeAgent}) and a {@link Kubelet}.
 * {@link #close()} removes all of it; {@link ClusterCleanup} does the same for a cluster whose harness
 * died.
 */
public final class InboxCluster implements AutoCloseable {

    static final int API_PORT_ON_SEGMENT = 6443;

    private final ClusterNames names;
    private final List<AutoCloseable> resources = new ArrayList<>();
    private final Map<String, NodeAgent> agents = new LinkedHashMap<>();
    private final Map<String, Kubelet> kubelets = new LinkedHashMap<>();
    private ClusterNetwork network;
    private ApiServer api;
    private KubernetesClient client;
    private final List<String> agentArguments;
    private Duration startup;
    /** Why the nodes have no socket-LB cgroups (host-network clients then reach no ClusterIP), or null. */
    private String socketLbProblem;

    private InboxCluster(ClusterNames names, List<String> agentArguments) {
        this.names = names;
        this.agentArguments = agentArguments;
    }

    /** Creates and starts a cluster of {@code nodeCount} nodes; leftovers of an earlier one of this name are removed first. */
    public static InboxCluster start(String name, int nodeCount) throws Exception {
        return start(name, nodeCount, List.of());
    }

    /**
     * Like {@link #start(String, int)}, with {@code agentArguments} appended to every node agent's command
     * line (they win over the defaults: e.g. {@code --routing bgp --bgp-peer ...} instead of direct routing).
     */
    public static InboxCluster start(String name, int nodeCount, List<String> agentArguments) throws Exception {
        if (nodeCount < 1 || nodeCount > 200) {
            throw new IllegalArgumentException("a cluster has 1 to 200 nodes, not " + nodeCount);
        }
        ClusterNames names = new ClusterNames(name);
        ClusterCleanup.remove(names);
        InboxCluster cluster = new InboxCluster(names, List.copyOf(agentArguments));
        long started = System.nanoTime();
        try {
            cluster.bringUp(nodeCount);
        } catch (Exception | Error e) {
            cluster.close();
            throw e;
        }
        cluster.startup = Duration.ofNanos(System.nanoTime() - started);
        return cluster;
    }

    private void bringUp(int nodeCount) throws Exception {
        Files.createDirectories(names.stateDir());
        List<String> nodeNames = new ArrayList<>();
        for (int i = 1; i <= nodeCount; i++) {
            nodeNames.add("node" + i);
        }
        network = ClusterNetwork.create(names, nodeNames);
        Files.createDirectories(names.bpfDir());
        dev.jute.dataplane.bpf.BpfFilesystem.mount(names.bpfDir());
        api = ApiServer.start();
        resources.add(api);
        resources.add(NamespacePortForwarder.start(network.segment().path(),
                new InetSocketAddress(ClusterNetwork.BRIDGE_IPV4, API_PORT_ON_SEGMENT),
                new InetSocketAddress("127.0.0.1", api.port())));
        Kubeconfig.write(names.kubeconfig(), "jute-" + names.cluster(), api.localUrl());
        Kubeconfig.write(names.nodeKubeconfig(), "jute-" + names.cluster(),
                "http://" + ClusterNetwork.BRIDGE_IPV4 + ":" + API_PORT_ON_SEGMENT);
        client = api.client();
        resources.add(client);
        resources.add(new NodeIpamController(client));
        resources.add(new Scheduler(client));
        resources.add(new EndpointSliceController(client));
        for (String namespace : List.of("default", "kube-system")) {
            client.resource(new NamespaceBuilder().withNewMetadata().withName(namespace).endMetadata().build()).create();
        }
        socketLbProblem = NodeCgroups.mount(names).orElse(null);
        if (socketLbProblem != null) {
            HarnessLog.warn("cluster", "no socket-LB cgroups (" + socketLbProblem + "): host-network clients reach no ClusterIP");
        }
        for (ClusterNetwork.Machine machine : network.machines()) {
            registerNode(machine);
            String socketLbCgroup = socketLbProblem == null ? NodeCgroups.create(names, machine.name()).toString() : "none";
            agents.put(machine.name(), NodeAgent.start(machine.netns(), machine.name(), names.nodeDir(machine.name()),
                    names.nodeKubeconfig(), names.bpfDir().resolve(machine.name()), socketLbCgroup, agentArguments));
        }
        for (NodeAgent agent : agents.values()) {
            agent.awaitServing(Duration.ofSeconds(60));
        }
        // Without BGP to the outside, the segment (the "external" side) reaches LoadBalancer
        // addresses through the first node, like a static route on a router in front of the cluster.
        network.segment().exec("ip", "route", "replace", NodeAgent.LB_POOL, "via", network.machines().getFirst().ipv4()).check();
        for (ClusterNetwork.Machine machine : network.machines()) {
            kubelets.put(machine.name(), new Kubelet(machine.name(), machine.ipv4(), machine.netns(),
                    agents.get(machine.name()).socket(), names, client));
        }
        ClusterStateFile.write(names, ProcessHandle.current().pid(), api.localUrl(), nodeNames);
    }

    /** What the kubelet registers: the Node with its addresses; the node-IPAM controller adds pod CIDRs. */
    private void registerNode(ClusterNetwork.Machine machine) {
        Node node = new NodeBuilder().withNewMetadata().withName(machine.name())
                .addToLabels("kubernetes.io/hostname", machine.name()).addToLabels("kubernetes.io/os", "linux")
                .endMetadata()
                .withNewStatus()
                .addNewAddress().withType("InternalIP").withAddress(machine.ipv4()).endAddress()
                .addNewAddress().withType("InternalIP").withAddress(machine.ipv6()).endAddress()
                .addNewAddress().withType("Hostname").withAddress(machine.name()).endAddress()
                .addNewCondition().withType("Ready").withStatus("True").withReason("KubeletReady")
                .withLastTransitionTime(Instant.now().toString()).endCondition()
                .endStatus().build();
        client.resource(node).create();
    }

    public ClusterNames names() {
        return names;
    }

    public KubernetesClient client() {
        return client;
    }

    /**
     * A namespace outside the cluster on its L2 segment (the bridge's, 172.18.0.1): a client of
     * NodePorts and LoadBalancer addresses, as a machine next to the nodes would be.
     */
    public Path externalNetns() {
        return network.segment().path();
    }

    /** The address of the segment side, i.e. what a node sees as the external client's address. */
    public String externalAddress() {
        return ClusterNetwork.BRIDGE_IPV4;
    }

    /**
     * Another machine on the segment that is no node, e.g. a router in front of the cluster: a namespace
     * of this cluster ({@code <prefix><name>}, removed with it) with {@code 172.18.0.<host>/24} on its
     * {@code eth0}, forwarding on, and no route beyond the segment.
     */
    public Netns addSegmentMachine(String name, int host) {
        if (host < 200 || host > 254) {
            throw new IllegalArgumentException("segment machines take host numbers 200..254 (below are the nodes'), not " + host);
        }
        return ClusterNetwork.addMachine(names, network.segment(), name, host).netns();
    }

    /**
     * Leaves the external side's reach of LoadBalancer addresses to BGP: removes the static route to the
     * pool through the first node (see {@code bringUp}), so that from {@link #externalNetns()} such an
     * address is reachable only through a route a BGP speaker running there installed, and an address
     * nobody announces is unreachable.
     */
    public void removeStaticLoadBalancerRoute() {
        network.segment().exec("ip", "route", "del", NodeAgent.LB_POOL).check();
    }

    /** Where {@code jute bgp|policy ...} reaches a node's agent. */
    public Path adminSocket(String node) {
        NodeAgent agent = agents.get(node);
        if (agent == null) {
            throw new IllegalArgumentException("no node " + node);
        }
        return agent.adminSocket();
    }

    /** A node's InternalIP (IPv4). */
    public String nodeAddress(String node) {
        return network.machines().stream().filter(m -> m.name().equals(node)).map(ClusterNetwork.Machine::ipv4)
                .findFirst().orElseThrow(() -> new IllegalArgumentException("no node " + node));
    }

    /** A node's network namespace. */
    public Path nodeNetns(String node) {
        return network.machines().stream().filter(m -> m.name().equals(node)).map(m -> m.netns().path())
                .findFirst().orElseThrow(() -> new IllegalArgumentException("no node " + node));
    }

    /**
     * A node's socket-LB cgroup: its host-network processes in it reach ClusterIPs. Empty when the
     * cluster could not make one ({@link #socketLbProblem()} says why).
     */
    public Optional<Path> nodeCgroup(String node) {
        nodeNetns(node);
        return socketLbProblem == null ? Optional.of(names.nodeCgroup(node)) : Optional.empty();
    }

    /** Why the nodes have no socket-LB cgroups, if they have none. */
    public Optional<String> socketLbProblem() {
        return Optional.ofNullable(socketLbProblem);
    }

    /**
     * The command line of {@code command} run as a host-network process of {@code node}: in the node's
     * network namespace and in its socket-LB cgroup (the shell moves itself there, then becomes the
     * command), as a process on a real node would be.
     */
    public List<String> hostNetworkCommand(String node, String... command) {
        Path cgroup = nodeCgroup(node).orElseThrow(() -> new IllegalStateException("no socket-LB cgroup: " + socketLbProblem));
        List<String> line = new ArrayList<>(List.of("sh", "-c", "echo $$ > \"$0\" && exec \"$@\"",
                cgroup.resolve("cgroup.procs").toString(), "ip", "netns", "exec", names.nodeNetns(node)));
        line.addAll(List.of(command));
        return line;
    }

    /** Where a node's agent pins its BPF maps (for {@code jute service list --bpf-pin-dir}). */
    public Path bpfPinDir(String node) {
        return names.bpfDir().resolve(node);
    }

    /** The external client's IPv6 address on the segment (the cluster's node network is dual stack). */
    public String externalAddressIpv6() {
        return ClusterNetwork.BRIDGE_IPV6;
    }

    /** A node's IPv6 InternalIP. */
    public String nodeAddressIpv6(String node) {
        return network.machines().stream().filter(m -> m.name().equals(node)).map(ClusterNetwork.Machine::ipv6)
                .findFirst().orElseThrow(() -> new IllegalArgumentException("no node " + node));
    }

    public Duration startup() {
        return startup;
    }

    public List<String> nodeNames() {
        return List.copyOf(agents.keySet());
    }

    /** The agent process of each node. */
    public Map<String, Long> agentPids() {
        Map<String, Long> pids = new LinkedHashMap<>();
        agents.forEach((node, agent) -> pids.put(node, agent.pid()));
        return pids;
    }

    public Map<String, Long> agentRssKib() {
        Map<String, Long> rss = new LinkedHashMap<>();
        agents.forEach((node, agent) -> rss.put(node, agent.rssKib()));
        return rss;
    }

    public String agentLog(String node) {
        return agents.get(node).log();
    }

    /** Where a node's agent keeps its IPAM records (one file per allocated address). */
    public Path ipamDir(String node) {
        return names.nodeDir(node).resolve("state").resolve("ipam");
    }

    /** The network namespace of a running pod, if this cluster's kubelets run it. */
    public Optional<Path> podNetns(String namespace, String pod) {
        return kubelets.values().stream().flatMap(k -> k.running().stream())
                .filter(p -> p.namespace().equals(namespace) && p.name().equals(pod)).map(p -> p.netns().path()).findFirst();
    }

    /** Waits until every listed pod is Ready with an IP; returns them as the API reports them. */
    public List<Pod> awaitReady(String namespace, List<String> podNames, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            List<Pod> ready = new ArrayList<>();
            for (String name : podNames) {
                Pod pod = client.pods().inNamespace(namespace).withName(name).get();
                if (pod != null && isReady(pod) && podNetns(namespace, name).isPresent()) {
                    ready.add(pod);
                }
            }
            if (ready.size() == podNames.size()) {
                return ready;
            }
            if (System.nanoTime() > deadline) {
                List<String> missing = new ArrayList<>(podNames);
                ready.forEach(p -> missing.remove(p.getMetadata().getName()));
                throw new IllegalStateException("pods not ready within " + timeout + ": " + namespace + "/" + missing);
            }
            Thread.sleep(50);
        }
    }

    public static boolean isReady(Pod pod) {
        return pod.getStatus() != null && pod.getStatus().getPodIP() != null && pod.getStatus().getConditions() != null
               && pod.getStatus().getConditions().stream().anyMatch(c -> c.getType().equals("Ready") && c.getStatus().equals("True"));
    }

    /** Tears everything down: pods (CNI DEL), kubelets, agents, controllers, the API, every namespace, the state. */
    @Override
    public void close() {
        List<CompletableFuture<Void>> stopping = new ArrayList<>();
        for (Kubelet kubelet : kubelets.values()) {
            stopping.add(CompletableFuture.runAsync(kubelet::close));
        }
        stopping.forEach(f -> f.exceptionally(e -> null).join());
        for (NodeAgent agent : agents.values()) {
            stopping.add(CompletableFuture.runAsync(agent::close));
        }
        stopping.forEach(f -> f.exceptionally(e -> null).join());
        for (AutoCloseable resource : resources.reversed()) {
            try {
                resource.close();
            } catch (Exception e) {
                HarnessLog.warn("cluster", "closing " + resource.getClass().getSimpleName() + ": " + e.getMessage());
            }
        }
        if (network != null) {
            network.close();
        }
        ClusterCleanup.remove(names);
    }

    static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (var paths = Files.walk(dir)) {
            for (Path path : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
