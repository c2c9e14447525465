package dev.jute.agent.bgp;

import dev.jute.bgp.ExportPolicy;
import dev.jute.bgp.PeerConfig;
import dev.jute.bgp.Prefix;
import dev.jute.bgp.rib.RouteAttributes;

import java.net.InetAddress;
import java.util.Set;

/**
 * A node announces only its own prefixes. Without this a node would pass routes learned from one
 * external router to another and become a transit router of the data-centre fabric. Only
 * route-reflector clients get every route the RFC 4456 rules allow: reflecting is what they asked for.
 *
 * <p>Own prefixes are of two kinds:
 * <ul>
 *   <li>the pod CIDRs go to every peer;</li>
 *   <li>LoadBalancer host routes (/32, /128) go to the configured external peers only ({@code --bgp-peer}),
 *       never to the node mesh: every node learns the Services from the API and translates LoadBalancer
 *       traffic itself (on the uplink, before routing, and for pods before they route), so a mesh peer
 *       gains nothing from the route, and would only install a kernel route via another node whose best
 *       path changes with every endpoint that moves (eTP Local).</li>
 * </ul>
 *
 * <p>Runs on the speaker's event loop; the LoadBalancer routes change on the Service thread, so they
 * are an immutable set behind a volatile field. {@link BgpRouting} widens it before it hands an
 * announcement to the loop and narrows it only after a withdrawal returned, so whenever the loop
 * exports a LoadBalancer route, the set it reads holds it.
 */
final class OwnRoutesExportPolicy implements ExportPolicy {

    private final Set<Prefix> podCidrs;
    private final Set<InetAddress> externalPeers;
    private volatile Set<Prefix> loadBalancerRoutes = Set.of();

    OwnRoutesExportPolicy(Set<Prefix> podCidrs, Set<InetAddress> externalPeers) {
        this.podCidrs = Set.copyOf(podCidrs);
        this.externalPeers = Set.copyOf(externalPeers);
    }

    @Override
    public RouteAttributes export(PeerConfig peer, Prefix prefix, RouteAttributes attributes) {
        if (podCidrs.contains(prefix)) {
            return attributes;
        }
        if (loadBalancerRoutes.contains(prefix)) {
            return externalPeers.contains(peer.remoteAddress()) ? attributes : null;
        }
        return peer.routeReflectorClient() ? attributes : null;
    }

    /** Which LoadBalancer host routes may be exported; set before announcing them, after withdrawing. */
    void setLoadBalancerRoutes(Set<Prefix> routes) {
        loadBalancerRoutes = Set.copyOf(routes);
    }

    Set<Prefix> loadBalancerRoutes() {
        return loadBalancerRoutes;
    }
}
