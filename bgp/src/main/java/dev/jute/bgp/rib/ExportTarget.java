package dev.jute.bgp.rib;

import dev.jute.bgp.AddressFamily;
import dev.jute.bgp.NextHop;
import dev.jute.bgp.PeerConfig;

/**
 * The peer routes are exported to, as the export rules see it.
 *
 * @param source the peer as a route source, to avoid sending routes back where they came from
 * @param ipv4Self next hop announced for IPv4 routes when the next hop is ourselves
 * @param ipv6Self next hop announced for IPv6 routes when the next hop is ourselves
 */
public record ExportTarget(PeerConfig config, RouteSource source, boolean internal, NextHop ipv4Self,
                           NextHop ipv6Self) {

    public NextHop self(AddressFamily family) {
        return family == AddressFamily.IPV4 ? ipv4Self : ipv6Self;
    }
}
