package dev.jute.agent.policy;

import dev.jute.agent.Log;
import dev.jute.agent.PodAttachment;
import dev.jute.agent.PodNetworkObserver;
import dev.jute.agent.health.PrometheusText;
import dev.jute.agent.k8s.ClusterCache;
import dev.jute.dataplane.NetlinkSocket;
import dev.jute.dataplane.RouteNetlink;
import dev.jute.dataplane.bpf.BpfFilesystem;
import dev.jute.dataplane.bpf.PolicyDataplane;
import dev.jute.ipam.Ipam;
import dev.jute.policy.Protocol;
import io.fabric8.kubernetes.client.KubernetesClient;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * NetworkPolicy as one capability of the agent: the eBPF dataplane, the {@link PolicyEnforcer}, its
 * input (the informers, a state file, or nothing) and what it offers the rest of the agent — the pod
 * observer, admin commands, metrics and readiness. {@code Agent} starts it after reconciling the pod
 * interfaces and before serving CNI requests.
 */
public final class PolicyAgent implements PodNetworkObserver, AutoCloseable {

    private static final Log LOG = Log.of("policy");
    /** How long an ADD waits for the first complete cluster state before "try again later". */
    static final Duration SYNC_WAIT = Duration.ofSeconds(10);
    static final Path NODE_BPF_FILESYSTEM = Path.of("/sys/fs/bpf");

    private final PolicyDataplane dataplane;
    private final NetlinkSocket netlinkSocket;
    private final PolicyEnforcer enforcer;
    private final PolicyUpdateLoop loop;
    private final AutoCloseable source;

    private PolicyAgent(PolicyDataplane dataplane, NetlinkSocket netlinkSocket, PolicyEnforcer enforcer,
                        PolicyUpdateLoop loop, AutoCloseable source) {
        this.dataplane = dataplane;
        this.netlinkSocket = netlinkSocket;
        this.enforcer = enforcer;
        this.loop = loop;
        this.source = source;
    }

    /**
     * Starts enforcement, or returns empty when it is off: {@code --no-policy}, or nothing asked for it
     * and this host has no BPF filesystem the agent may use (then it says so in the log).
     *
     * @param nodeOwnsBpfFilesystem whether the agent may mount a BPF filesystem on /sys/fs/bpf (true
     *                              for the DaemonSet on a real node, never for test harnesses)
     * @param cluster               the informers in Kubernetes mode, else null
     * @param client                the API client in Kubernetes mode (for Events), else null
     * @throws IllegalStateException when enforcement was asked for explicitly and cannot run
     */
    public static Optional<PolicyAgent> start(PolicyOptions options, String nodeName, boolean nodeOwnsBpfFilesystem,
                                              Ipam ipam, ClusterCache cluster, KubernetesClient client)
            throws IOException {
        if (options.disabled()) {
            LOG.info("NetworkPolicy enforcement is off (--no-policy)");
            return Optional.empty();
        }
        if (cluster != null && options.stateFile() != null) {
            throw new IllegalArgumentException("--policy-state is for static mode: with Kubernetes the cluster state comes from the API");
        }
        Optional<String> unavailable = PolicyDataplane.unavailableReason();
        if (unavailable.isPresent()) {
            return off(options, unavailable.get());
        }
        Path pinDirectory = options.pinDirectory();
        if (pinDirectory == null) {
            if (!BpfFilesystem.isBpfFilesystem(NODE_BPF_FILESYSTEM)) {
                if (!nodeOwnsBpfFilesystem) {
                    return off(options, NODE_BPF_FILESYSTEM + " is not a BPF filesystem; give --bpf-pin-dir on one");
                }
                Files.createDirectories(NODE_BPF_FILESYSTEM);
                BpfFilesystem.mount(NODE_BPF_FILESYSTEM);
                LOG.info("mounted a BPF filesystem", "path", NODE_BPF_FILESYSTEM);
            }
            pinDirectory = NODE_BPF_FILESYSTEM.resolve("jute").resolve(nodeName);
        }
        PolicyDataplane dataplane = PolicyDataplane.open(pinDirectory);
        NetlinkSocket socket = null;
        PolicyUpdateLoop loop = null;
        AutoCloseable source = null;
        try {
            socket = NetlinkSocket.open();
            RouteNetlink netlink = new RouteNetlink(socket);
            PolicyProblemReporter reporter = client == null ? PolicyProblemReporter.NONE
                    : new KubernetesEventReporter(client, nodeName);
            PolicyEnforcer enforcer = new PolicyEnforcer(new BpfPolicySink(dataplane), reporter,
                    new NodeAddresses(netlink), SYNC_WAIT);
            enforcer.restore(LocalAttachments.fromIpam(ipam, netlink));
            if (cluster != null) {
                Supplier<Optional<PolicyInputs>> inputs = () -> cluster.synced()
                        ? Optional.of(PolicyInputs.fromKubernetes(cluster.namespaces(), cluster.pods(), cluster.networkPolicies()))
                        : Optional.empty();
                loop = new PolicyUpdateLoop(enforcer, inputs);
                cluster.onChange(loop::trigger);
            } else if (options.stateFile() != null) {
                PolicyUpdateLoop[] loopRef = new PolicyUpdateLoop[1];
                PolicyStateFileSource file = PolicyStateFileSource.start(options.stateFile(), () -> loopRef[0].trigger());
                source = file;
                loop = new PolicyUpdateLoop(enforcer, file);
                loopRef[0] = loop;
            } else {
                // Static mode without a state file: no policies, so every pod is open, but the
                // dataplane still stops pods from spoofing addresses.
                loop = new PolicyUpdateLoop(enforcer, () -> Optional.of(PolicyInputs.EMPTY));
            }
            loop.start();
            LOG.info("NetworkPolicy enforcement on", "pins", pinDirectory,
                    "input", cluster != null ? "kubernetes" : options.stateFile() != null ? options.stateFile() : "none");
            return Optional.of(new PolicyAgent(dataplane, socket, enforcer, loop, source));
        } catch (IOException | RuntimeException e) {
            if (loop != null) {
                loop.close();
            }
            closeQuietly(source);
            if (socket != null) {
                socket.close();
            }
            dataplane.close();
            throw e;
        }
    }

    private static Optional<PolicyAgent> off(PolicyOptions options, String reason) {
        if (options.explicitlyRequested()) {
            throw new IllegalStateException("cannot enforce NetworkPolicy: " + reason);
        }
        LOG.warn("NetworkPolicy is NOT enforced on this node", "reason", reason);
        return Optional.empty();
    }

    public PolicyEnforcer enforcer() {
        return enforcer;
    }

    @Override
    public void podWired(PodAttachment attachment) throws InterruptedException, dev.jute.cni.CniException {
        try {
            enforcer.podWired(attachment);
        } catch (PolicyNotReadyException e) {
            // The runtime retries on "try again later"; the pod must not start before its policy is known.
            throw new dev.jute.cni.CniException(dev.jute.cni.CniErrorCode.TRY_AGAIN_LATER, e.getMessage());
        }
    }

    @Override
    public void podRemoved(String containerId, String ifname, String hostInterface) {
        enforcer.podRemoved(containerId, ifname, hostInterface);
    }

    /** Not ready while the maps have not converged with the cluster state (ADDs would wait). */
    public List<String> readinessProblems() {
        return enforcer.converged() ? List.of() : List.of("NetworkPolicy state has not converged");
    }

    /** The admin socket commands {@code jute policy} uses. */
    public Map<String, Function<Map<String, Object>, Map<String, Object>>> adminCommands() {
        return PolicyAdmin.commands(enforcer);
    }

    public void writeMetrics(PrometheusText text) {
        PolicyEnforcer.Status status = enforcer.status();
        text.family("jute_policy_converged", "gauge", "1 when the policy maps hold the compiled cluster state.");
        text.sample("jute_policy_converged", status.converged() ? 1 : 0);
        text.family("jute_policy_local_endpoints", "gauge", "Pod interfaces of this node with policy state.");
        text.sample("jute_policy_local_endpoints", status.localEndpoints());
        text.family("jute_policy_pods", "gauge", "Pods of the cluster known to the policy compiler.");
        text.sample("jute_policy_pods", status.pods());
        text.family("jute_policy_networkpolicies", "gauge", "Valid NetworkPolicies in force.");
        text.sample("jute_policy_networkpolicies", status.policies());
        text.family("jute_policy_invalid_networkpolicies", "gauge", "NetworkPolicies skipped because they are invalid.");
        text.sample("jute_policy_invalid_networkpolicies", status.invalidPolicies().size());
        text.family("jute_policy_updates_total", "counter", "Cluster state updates applied to the policy maps.");
        text.sample("jute_policy_updates_total", status.updates());
        text.family("jute_policy_failures_total", "counter", "Policy map updates that failed (each is retried).");
        text.sample("jute_policy_failures_total", status.failures());
        text.family("jute_policy_map_writes_total", "counter", "Writes to the policy BPF maps.");
        text.sample("jute_policy_map_writes_total", status.mapWrites());
    }

    @Override
    public void close() {
        loop.close();
        closeQuietly(source);
        netlinkSocket.close();
        // Attached programs and pinned maps keep enforcing while no agent runs.
        dataplane.close();
    }

    private static void closeQuietly(AutoCloseable closeable) {
        if (closeable == null) {
            return;
        }
        try {
            closeable.close();
        } catch (Exception e) {
            LOG.warn("cannot close", "what", closeable.getClass().getSimpleName(), "error", e.toString());
        }
    }

    /** For {@code jute policy explain}: parses {@code 80/TCP} (protocol defaults to TCP). */
    static Map.Entry<Integer, Protocol> portAndProtocol(String text) {
        int slash = text.indexOf('/');
        String portText = slash < 0 ? text : text.substring(0, slash);
        Protocol protocol = slash < 0 ? Protocol.TCP : Protocol.parseIgnoringCase(text.substring(slash + 1))
                .orElseThrow(() -> new IllegalArgumentException("unknown protocol in '" + text + "': use TCP, UDP or SCTP"));
        int port;
        try {
            port = Integer.parseInt(portText);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad port in '" + text + "': expected PORT/PROTOCOL such as 80/TCP");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " is outside 0-65535");
        }
        return Map.entry(port, protocol);
    }
}
