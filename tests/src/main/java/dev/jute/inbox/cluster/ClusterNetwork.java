package dev.jute.inbox.cluster;

import dev.jute.inbox.Command;
import dev.jute.inbox.Netns;

import java.util.ArrayList;
import java.util.List;

/**
 * The cluster's machines and wire: a "segment" namespace holding a bridge (like kind's Docker network),
 * and one namespace per node joined to it by a veth whose node end is {@code eth0}. Dual stack:
 * 172.18.0.0/24 and fc00:f853:ccd:e793::/64, the bridge holding .1 / ::1, node i holding .(i+1) / ::(i+1).
 * The root namespace is never touched: every link is created inside the cluster's own namespaces.
 */
final class ClusterNetwork implements AutoCloseable {

    static final String BRIDGE_IPV4 = "172.18.0.1";
    static final String BRIDGE_IPV6 = "fc00:f853:ccd:e793::1";

    /** One machine of the cluster. */
    record Machine(String name, Netns netns, String ipv4, String ipv6) {
    }

    private final ClusterNames names;
    private final Netns segment;
    private final List<Machine> machines;

    private ClusterNetwork(ClusterNames names, Netns segment, List<Machine> machines) {
        this.names = names;
        this.segment = segment;
        this.machines = machines;
    }

    static ClusterNetwork create(ClusterNames names, List<String> nodeNames) {
        Netns segment = Netns.create(names.segmentNetns());
        List<Machine> machines = new ArrayList<>();
        ClusterNetwork network = new ClusterNetwork(names, segment, machines);
        try {
            segment.exec("ip", "link", "add", "br0", "type", "bridge").check();
            segment.exec("ip", "addr", "add", BRIDGE_IPV4 + "/24", "dev", "br0").check();
            segment.exec("ip", "addr", "add", BRIDGE_IPV6 + "/64", "dev", "br0", "nodad").check();
            segment.exec("ip", "link", "set", "br0", "up").check();
            for (int i = 0; i < nodeNames.size(); i++) {
                machines.add(addMachine(names, segment, nodeNames.get(i), i + 2));
            }
            return network;
        } catch (RuntimeException e) {
            network.close();
            throw e;
        }
    }

    static Machine addMachine(ClusterNames names, Netns segment, String node, int host) {
        Netns netns = Netns.create(names.nodeNetns(node));
        String ipv4 = "172.18.0." + host;
        String ipv6 = "fc00:f853:ccd:e793::" + Integer.toHexString(host);
        String port = "veth-" + node;
        segment.exec("ip", "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", netns.name()).check();
        segment.exec("ip", "link", "set", port, "master", "br0", "up").check();
        netns.exec("ip", "addr", "add", ipv4 + "/24", "dev", "eth0").check();
        netns.exec("ip", "addr", "add", ipv6 + "/64", "dev", "eth0", "nodad").check();
        netns.exec("ip", "link", "set", "eth0", "up").check();
        // A node forwards for its pods, as every Kubernetes node does.
        netns.sysctl("net.ipv4.ip_forward", "1");
        netns.sysctl("net.ipv6.conf.all.forwarding", "1");
        return new Machine(node, netns, ipv4, ipv6);
    }

    List<Machine> machines() {
        return machines;
    }

    Netns segment() {
        return segment;
    }

    /** Removes every namespace of the cluster (pods', nodes', the segment's) and what runs in them. */
    @Override
    public void close() {
        Netns.deleteAll(names.prefix());
    }

    static boolean anyLeft(ClusterNames names) {
        return Command.run("ip", "netns", "list").stdout().lines().anyMatch(l -> l.startsWith(names.prefix()));
    }
}
