package dev.jute.dataplane.bpf;

/**
 * Who looks a service frontend up ({@code SCOPE_*} in {@code lib/maps.h}). The same address and
 * port may be a frontend in both scopes, with different traffic policies.
 */
public enum FrontendScope {
    /** Traffic from the node's pods ({@code from_pod}) and host sockets: ClusterIPs, and whatever else pods reach. */
    INTERNAL(0),
    /** Traffic arriving on the node's uplink ({@code from_netdev}): NodePorts, LoadBalancer and external IPs. */
    EXTERNAL(1);

    private final int code;

    FrontendScope(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    public static FrontendScope ofCode(int code) {
        return switch (code) {
            case 0 -> INTERNAL;
            case 1 -> EXTERNAL;
            default -> throw new IllegalArgumentException("unknown frontend scope " + code);
        };
    }
}
