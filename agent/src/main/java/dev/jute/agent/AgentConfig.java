package dev.jute.agent;

import dev.jute.agent.bgp.BgpOptions;
import dev.jute.agent.policy.PolicyOptions;
import dev.jute.agent.service.ServiceOptions;
import dev.jute.agent.k8s.RoutingMode;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The node agent's configuration, from its command line.
 *
 * @param nodeName    this node's name (defaults to the host name)
 * @param podCidrs    the node's pod CIDRs, at most one per address family (dual stack); empty in
 *                    Kubernetes mode, where they come from the Node object
 * @param socket      the unix socket jute-cni connects to; only root may open it
 * @param stateDir    where the agent keeps its crash-safe state (IPAM records)
 * @param mtu         MTU of pod interfaces unless the network configuration sets one
 * @param cniWorkers  how many CNI requests are served at once
 * @param debug       verbose logging
 * @param kubernetes  how the agent reaches the Kubernetes API; {@link KubernetesMode#STATIC} without it
 * @param kubeconfig  the kubeconfig file in {@link KubernetesMode#KUBECONFIG} mode, else null
 * @param routing     how pod CIDRs of other nodes become reachable (direct: Kubernetes mode only; bgp: both modes)
 * @param healthListen where /healthz, /readyz and /metrics are served, or null for nowhere
 * @param bgp         BGP settings, used with {@code --routing bgp} (also in static mode)
 * @param policy      NetworkPolicy enforcement settings
 * @param services    Service NAT settings (Kubernetes mode)
 */
public record AgentConfig(String nodeName, List<String> podCidrs, Path socket, Path stateDir, int mtu,
                          int cniWorkers, boolean debug, KubernetesMode kubernetes, Path kubeconfig,
                          RoutingMode routing, InetSocketAddress healthListen, BgpOptions bgp,
                          PolicyOptions policy, ServiceOptions services) {

    /** Where the node's pod CIDRs and the rest of the cluster come from. */
    public enum KubernetesMode {
        /** No API: the pod CIDRs are given on the command line, no cross-node routing. */
        STATIC,
        /** The API named by a kubeconfig file. */
        KUBECONFIG,
        /** The service-account credentials of the pod the agent runs in (the DaemonSet). */
        IN_CLUSTER
    }

    static final Path SERVICE_ACCOUNT_TOKEN = Path.of("/var/run/secrets/kubernetes.io/serviceaccount/token");

    public static final Path DEFAULT_SOCKET = Path.of("/run/jute/cni.sock");
    public static final Path DEFAULT_STATE_DIR = Path.of("/var/lib/jute");

    public static final String USAGE = """
            usage: jute agent (--kubeconfig FILE | --pod-cidr CIDR [--pod-cidr CIDR6]) [options]
              --node-name NAME     this node's name (default: the host name)
              --kubeconfig FILE    Kubernetes mode: pod CIDRs from this node's Node object, routes to the
                                   other nodes' pod CIDRs; inside a pod the service account is used
                                   when neither --kubeconfig nor --pod-cidr is given
              --pod-cidr CIDR      static mode: the node's pod CIDR; repeat once for the other family
              --routing MODE       direct (a kernel route per other node's pod CIDR via its InternalIP,
                                   the default) or bgp
              --health-listen H:P  serve /healthz, /readyz and /metrics on this address (e.g. 0.0.0.0:9765)
              --socket PATH        CNI socket (default /run/jute/cni.sock)
              --state-dir DIR      crash-safe state (default /var/lib/jute)
              --mtu N              pod interface MTU (default 1500; a network config's "mtu" wins)
              --cni-workers N      CNI requests served at once (default 16)
              --debug              verbose logs
            """
            + BgpOptions.USAGE
            + PolicyOptions.USAGE
            + ServiceOptions.USAGE;

    public static AgentConfig parse(List<String> args) {
        String nodeName = null;
        List<String> cidrs = new ArrayList<>();
        Path socket = DEFAULT_SOCKET;
        Path stateDir = DEFAULT_STATE_DIR;
        int mtu = 1500;
        int workers = 16;
        boolean debug = false;
        Path kubeconfig = null;
        RoutingMode routing = RoutingMode.DIRECT;
        InetSocketAddress healthListen = null;
        BgpOptions.Parser bgp = new BgpOptions.Parser();
        PolicyOptions.Parser policy = new PolicyOptions.Parser();
        ServiceOptions.Parser services = new ServiceOptions.Parser();
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            switch (arg) {
                case "--node-name" -> nodeName = value(args, ++i, arg);
                case "--pod-cidr" -> cidrs.add(value(args, ++i, arg));
                case "--socket" -> socket = Path.of(value(args, ++i, arg));
                case "--state-dir" -> stateDir = Path.of(value(args, ++i, arg));
                case "--mtu" -> mtu = integer(value(args, ++i, arg), arg, 68, 65535);
                case "--cni-workers" -> workers = integer(value(args, ++i, arg), arg, 1, 1024);
                case "--debug" -> debug = true;
                case "--kubeconfig" -> kubeconfig = Path.of(value(args, ++i, arg));
                case "--routing" -> routing = RoutingMode.parse(value(args, ++i, arg));
                case "--health-listen" -> healthListen = hostPort(value(args, ++i, arg), arg);
                default -> {
                    int used = bgp.accept(args, i);
                    if (used == 0) {
                        used = policy.accept(args, i);
                    }
                    if (used == 0) {
                        used = services.accept(args, i);
                    }
                    if (used == 0) {
                        throw new IllegalArgumentException("unknown option " + arg + "\n" + USAGE);
                    }
                    i += used - 1;
                }
            }
        }
        KubernetesMode mode;
        if (kubeconfig != null) {
            if (!cidrs.isEmpty()) {
                throw new IllegalArgumentException("--pod-cidr and --kubeconfig exclude each other: with a kubeconfig"
                                                   + " the pod CIDRs come from the Node object\n" + USAGE);
            }
            if (!Files.isReadable(kubeconfig)) {
                throw new IllegalArgumentException("cannot read the kubeconfig " + kubeconfig);
            }
            mode = KubernetesMode.KUBECONFIG;
        } else if (!cidrs.isEmpty()) {
            mode = KubernetesMode.STATIC;
        } else if (System.getenv("KUBERNETES_SERVICE_HOST") != null && Files.isReadable(SERVICE_ACCOUNT_TOKEN)) {
            mode = KubernetesMode.IN_CLUSTER;
        } else {
            throw new IllegalArgumentException("give --kubeconfig (Kubernetes mode) or at least one --pod-cidr (static mode)\n"
                                               + USAGE);
        }
        if (nodeName == null) {
            nodeName = System.getenv().getOrDefault("NODE_NAME", hostName());
        }
        return new AgentConfig(nodeName, List.copyOf(cidrs), socket, stateDir, mtu, workers, debug, mode, kubeconfig,
                routing, healthListen, bgp.build(), policy.build(), services.build());
    }

    private static InetSocketAddress hostPort(String value, String option) {
        int colon = value.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException(option + " must be HOST:PORT, not '" + value + "'");
        }
        String host = value.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        return new InetSocketAddress(host, integer(value.substring(colon + 1), option, 0, 65535));
    }

    private static String value(List<String> args, int index, String option) {
        if (index >= args.size()) {
            throw new IllegalArgumentException(option + " needs a value\n" + USAGE);
        }
        return args.get(index);
    }

    private static int integer(String value, String option, int min, int max) {
        try {
            int n = Integer.parseInt(value);
            if (n < min || n > max) {
                throw new IllegalArgumentException(option + " must be between " + min + " and " + max + ", not " + n);
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " must be a number, not '" + value + "'");
        }
    }

    private static String hostName() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.net.UnknownHostException e) {
            return "localhost";
        }
    }
}
