package dev.jute.inbox.cluster;

import java.nio.file.Path;

/**
 * Every name an in-box cluster uses, derived from its name: the prefix {@code jutec-<name>-} of its
 * network namespaces and the folder of its state, so that {@code cluster down} finds all of it, even
 * after a crash.
 */
public record ClusterNames(String cluster) {

    /** Where clusters keep their state: kubeconfigs, agent state, logs, the state file. */
    public static final Path STATE_ROOT = Path.of("/run/jute-inbox");

    public ClusterNames {
        if (!cluster.matches("[a-z0-9]{1,20}")) {
            throw new IllegalArgumentException("cluster name must be 1-20 lower-case letters or digits (no dash:"
                                               + " it ends the prefix), not '" + cluster + "'");
        }
    }

    public String prefix() {
        return "jutec-" + cluster + "-";
    }

    public String segmentNetns() {
        return prefix() + "segment";
    }

    public String nodeNetns(String node) {
        return prefix() + node;
    }

    public String podNetns(String namespace, String pod) {
        return prefix() + "pod-" + namespace + "-" + pod;
    }

    public Path stateDir() {
        return STATE_ROOT.resolve(cluster);
    }

    public Path stateFile() {
        return stateDir().resolve("cluster.json");
    }

    /** The kubeconfig for clients in the root namespace (kubectl, the harness). */
    public Path kubeconfig() {
        return stateDir().resolve("kubeconfig");
    }

    /** The kubeconfig the agents use from inside the node namespaces. */
    public Path nodeKubeconfig() {
        return stateDir().resolve("kubeconfig-nodes");
    }

    /** A BPF filesystem the cluster mounts for its agents' pinned maps (this host may have none at /sys/fs/bpf). */
    public Path bpfDir() {
        return stateDir().resolve("bpf");
    }

    /**
     * Where the cluster mounts the cgroup v2 hierarchy once more: the agents run under {@code ip netns
     * exec}, whose fresh {@code /sys} has no cgroup mount, so their socket-LB cgroups are reached here.
     */
    public Path cgroupMount() {
        return stateDir().resolve("cgroup");
    }

    /** The prefix of the cluster's cgroups (directly under the hierarchy's root). */
    public String cgroupPrefix() {
        return "jute-inbox-" + cluster + "-";
    }

    /** A node's cgroup, under {@link #cgroupMount()}: its host-network processes get ClusterIPs translated. */
    public Path nodeCgroup(String node) {
        return cgroupMount().resolve(cgroupPrefix() + node);
    }

    public Path nodeDir(String node) {
        return stateDir().resolve("nodes").resolve(node);
    }
}
