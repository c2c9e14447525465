package dev.jute.agent.bgp;

import dev.jute.bgp.ExportPolicy;
import dev.jute.bgp.PeerConfig;
import dev.jute.bgp.Prefix;
import dev.jute.bgp.rib.RouteAttributes;

import java.util.Set;

/**
 * A node announces only its own prefixes (its pod CIDRs). Without this a node would pass routes learned
 * from one external router to another and become a transit router of the data-centre fabric. Only
 * route-reflector clients get every route the RFC 4456 rules allow: reflecting is what they asked for.
 */
final class OwnRoutesExportPolicy implements ExportPolicy {

    private final Set<Prefix> own;

    OwnRoutesExportPolicy(Set<Prefix> own) {
        this.own = Set.copyOf(own);
    }

    @Override
    public RouteAttributes export(PeerConfig peer, Prefix prefix, RouteAttributes attributes) {
        return peer.routeReflectorClient() || own.contains(prefix) ? attributes : null;
    }
}
