package dev.jute.bgp.rib;

import java.net.InetAddress;

/**
 * Where a path came from, with what the decision process and export rules need to know.
 * {@link #LOCAL} stands for routes this speaker originates.
 *
 * @param routerId the neighbour's BGP identifier (unsigned)
 * @param address the neighbour's address, or {@code null} for local routes
 */
public record RouteSource(InetAddress address, long peerAs, long routerId, boolean internal,
                          boolean routeReflectorClient) {

    public static final RouteSource LOCAL = new RouteSource(null, 0, 0, false, false);

    public boolean local() {
        return this == LOCAL;
    }

    @Override
    public String toString() {
        return local() ? "local" : address.getHostAddress() + " AS" + peerAs;
    }
}
