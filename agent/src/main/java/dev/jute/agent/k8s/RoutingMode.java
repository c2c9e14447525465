package dev.jute.agent.k8s;

import java.util.Locale;

/** How the pod CIDRs of the other nodes become reachable from this node. */
public enum RoutingMode {
    /** A kernel route per other node: its pod CIDR via its InternalIP (nodes share an L2 segment). */
    DIRECT,
    /** Routes exchanged with the BGP speaker (node-to-node mesh and external peers). */
    BGP;

    public static RoutingMode parse(String text) {
        return switch (text.toLowerCase(Locale.ROOT)) {
            case "direct" -> DIRECT;
            case "bgp" -> BGP;
            default -> throw new IllegalArgumentException("--routing must be direct or bgp, not '" + text + "'");
        };
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
