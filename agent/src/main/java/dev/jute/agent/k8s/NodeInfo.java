package dev.jute.agent.k8s;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeAddress;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * What routing needs from a Node object: its name, InternalIPs and pod CIDRs, parsed. Values that do not
 * parse are left out (and reported by {@link #problems}), so one bad Node never stops the agent.
 */
public record NodeInfo(String name, List<InetAddress> internalIps, List<String> podCidrs, List<String> problems) {

    public static NodeInfo of(Node node) {
        String name = node.getMetadata().getName();
        List<String> problems = new ArrayList<>();
        List<InetAddress> ips = new ArrayList<>();
        if (node.getStatus() != null && node.getStatus().getAddresses() != null) {
            for (NodeAddress address : node.getStatus().getAddresses()) {
                if ("InternalIP".equals(address.getType())) {
                    try {
                        ips.add(IpLiteral.parse(address.getAddress()));
                    } catch (IllegalArgumentException e) {
                        problems.add("InternalIP " + address.getAddress() + ": " + e.getMessage());
                    }
                }
            }
        }
        List<String> cidrs = new ArrayList<>();
        if (node.getSpec() != null) {
            if (node.getSpec().getPodCIDRs() != null && !node.getSpec().getPodCIDRs().isEmpty()) {
                cidrs.addAll(node.getSpec().getPodCIDRs());
            } else if (node.getSpec().getPodCIDR() != null) {
                cidrs.add(node.getSpec().getPodCIDR());
            }
        }
        return new NodeInfo(name, List.copyOf(ips), List.copyOf(cidrs), List.copyOf(problems));
    }

    /** The InternalIP of the family of {@code sameFamilyAs}, if the node has one. */
    public java.util.Optional<InetAddress> internalIpLike(InetAddress sameFamilyAs) {
        return internalIps.stream().filter(ip -> ip.getClass() == sameFamilyAs.getClass()).findFirst();
    }
}
