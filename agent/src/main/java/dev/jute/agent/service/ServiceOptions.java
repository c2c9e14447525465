package dev.jute.agent.service;

import java.nio.file.Path;
import java.util.List;

/**
 * The agent's Service NAT options (the BPF pin directory is the policy's {@code --bpf-pin-dir}: both
 * halves of the dataplane share their maps).
 *
 * @param disabled {@code --no-services}: program no Service frontends (another kube-proxy runs)
 * @param lbPool   {@code --lb-pool}: the IPv4 CIDR LoadBalancer addresses come from, or null for none
 * @param uplink   {@code --uplink}: the interface external NodePort/LoadBalancer traffic arrives on,
 *                 or null for the one holding the node's InternalIP
 * @param socketLb {@code --socket-lb-cgroup}: where host-network processes get ClusterIPs translated
 */
public record ServiceOptions(boolean disabled, LoadBalancerIpam lbPool, String uplink, SocketLbCgroup socketLb) {

    /**
     * The cgroup v2 directory the socket-LB hooks attach to: the processes in it (and below it) of the
     * node's network namespace reach ClusterIPs.
     *
     * @param cgroup the directory, or null: {@link #off} says whether that means "none" or "the root of
     *               the cgroup v2 hierarchy" (found at start, in the agent's mount table)
     * @param off    {@code --socket-lb-cgroup none}: no socket-LB; a previous attachment is removed
     */
    public record SocketLbCgroup(Path cgroup, boolean off) {
        public static final SocketLbCgroup HIERARCHY_ROOT = new SocketLbCgroup(null, false);
        public static final SocketLbCgroup OFF = new SocketLbCgroup(null, true);

        public SocketLbCgroup {
            if (off && cgroup != null) {
                throw new IllegalArgumentException("socket-LB cannot be off and attached to " + cgroup);
            }
        }

        static SocketLbCgroup parse(String value) {
            if (value.equals("none")) {
                return OFF;
            }
            if (value.isBlank() || !value.startsWith("/")) {
                throw new IllegalArgumentException("--socket-lb-cgroup must be an absolute cgroup v2 directory or none, not '"
                                                   + value + "'");
            }
            return new SocketLbCgroup(Path.of(value).normalize(), false);
        }
    }

    public static final String USAGE = """
              Services (eBPF kube-proxy replacement; on with Kubernetes where the dataplane runs):
              --lb-pool CIDR       hand out LoadBalancer addresses from this IPv4 pool (e.g. 172.18.255.0/24)
              --uplink IFNAME      the interface NodePort and LoadBalancer traffic arrives on
                                   (default: the one holding the node's InternalIP)
              --socket-lb-cgroup PATH|none
                                   translate ClusterIPs for host-network processes in this cgroup v2
                                   directory and below (default: the cgroup v2 mount root)
              --no-services        do not implement Services
            """;

    public static ServiceOptions defaults() {
        return new ServiceOptions(false, null, null, SocketLbCgroup.HIERARCHY_ROOT);
    }

    /** Collects the Service options while the agent's own parser walks its arguments. */
    public static final class Parser {
        private boolean disabled;
        private LoadBalancerIpam lbPool;
        private String uplink;
        private SocketLbCgroup socketLb = SocketLbCgroup.HIERARCHY_ROOT;

        /** @return how many arguments the option at {@code index} used (1 or 2), or 0 if it is not a Service option */
        public int accept(List<String> args, int index) {
            String option = args.get(index);
            switch (option) {
                case "--no-services" -> {
                    disabled = true;
                    return 1;
                }
                case "--lb-pool", "--uplink", "--socket-lb-cgroup" -> {
                    if (index + 1 >= args.size()) {
                        throw new IllegalArgumentException(option + " needs a value");
                    }
                    String value = args.get(index + 1);
                    if (option.equals("--lb-pool")) {
                        lbPool = LoadBalancerIpam.parse(value);
                    } else if (option.equals("--socket-lb-cgroup")) {
                        socketLb = SocketLbCgroup.parse(value);
                    } else {
                        if (value.isBlank() || value.length() > 15 || value.contains("/")) {
                            throw new IllegalArgumentException("--uplink must be an interface name, not '" + value + "'");
                        }
                        uplink = value;
                    }
                    return 2;
                }
                default -> {
                    return 0;
                }
            }
        }

        public ServiceOptions build() {
            if (disabled && (lbPool != null || uplink != null)) {
                throw new IllegalArgumentException("--no-services excludes --lb-pool and --uplink");
            }
            return new ServiceOptions(disabled, lbPool, uplink, socketLb);
        }
    }
}
