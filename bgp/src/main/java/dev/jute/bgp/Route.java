package dev.jute.bgp;

import dev.jute.bgp.rib.RouteAttributes;

import java.net.InetAddress;

/**
 * A best route as reported to the kernel-route installer and {@code jute bgp routes}.
 *
 * @param nextHop where to forward; {@code null} only for a local route announced with next-hop-self
 * @param peer the neighbour the route was learned from, or {@code null} when it is our own
 */
public record Route(Prefix prefix, NextHop nextHop, RouteAttributes attributes, InetAddress peer, long peerAs) {

    /** True for routes this speaker originates; the installer must not install those. */
    public boolean local() {
        return peer == null;
    }

    @Override
    public String toString() {
        return prefix + " via " + (nextHop == null ? "self" : nextHop) + " path [" + attributes.asPath() + "]"
                + (peer == null ? " (local)" : " from " + peer.getHostAddress());
    }
}
