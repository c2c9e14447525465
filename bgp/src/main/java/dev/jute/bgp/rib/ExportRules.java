package dev.jute.bgp.rib;

import dev.jute.bgp.NextHop;
import dev.jute.bgp.Prefix;

import java.util.ArrayList;
import java.util.List;

/**
 * The protocol's own export rules, applied before any user policy:
 * <ul>
 * <li>never back to the peer a path came from; NO_ADVERTISE and NO_EXPORT communities (RFC 1997);</li>
 * <li>iBGP-learned paths go to iBGP peers only when reflecting (RFC 4456): from a client to
 * everyone, from a non-client to clients, with ORIGINATOR_ID and CLUSTER_LIST set;</li>
 * <li>to iBGP peers the next hop is unchanged and LOCAL_PREF is sent;</li>
 * <li>to eBGP peers the local AS is prepended, the next hop is ourselves, LOCAL_PREF and reflection
 * attributes are removed and MED is only kept for our own routes (RFC 4271 §5.1.4).</li>
 * </ul>
 */
public final class ExportRules {
    private final long localAs;
    private final long clusterId;

    public ExportRules(long localAs, long clusterId) {
        this.localAs = localAs;
        this.clusterId = clusterId;
    }

    /** The attributes to advertise, or {@code null} when the path must not go to this peer. */
    public RouteAttributes export(Prefix prefix, Path best, ExportTarget target) {
        RouteSource from = best.source();
        RouteAttributes a = best.attributes();
        if (from.equals(target.source())) {
            return null;
        }
        if (a.hasCommunity(RouteAttributes.NO_ADVERTISE)) {
            return null;
        }
        NextHop self = target.self(prefix.family());
        if (target.internal()) {
            boolean reflecting = !from.local() && from.internal();
            if (reflecting && !from.routeReflectorClient() && !target.config().routeReflectorClient()) {
                return null; // RFC 4271 §9.2: iBGP-learned routes are not re-advertised to iBGP peers
            }
            NextHop hop = a.nextHop() == null ? self : withoutLinkLocal(a.nextHop());
            if (hop == null) {
                return null;
            }
            RouteAttributes out = a.withNextHop(hop).withLocalPref(a.effectiveLocalPref());
            if (reflecting) {
                long originator = a.originatorId() >= 0 ? a.originatorId() : from.routerId();
                List<Integer> clusters = new ArrayList<>(a.clusterList().size() + 1);
                clusters.add((int) clusterId);
                clusters.addAll(a.clusterList());
                out = out.withReflection(originator, clusters);
            }
            return out;
        }
        if (a.hasCommunity(RouteAttributes.NO_EXPORT) || self == null) {
            return null;
        }
        if (a.asPath().contains(target.config().remoteAs())) {
            return null; // the peer would drop it as a loop (RFC 4271 §9.1.2)
        }
        return new RouteAttributes(a.origin(), a.asPath().prepend(localAs, 1 + target.config().extraPrepends()),
                self, from.local() ? a.med() : -1, -1, a.atomicAggregate(), a.aggregatorAs(), a.aggregatorAddress(),
                a.communities(), -1, List.of(), a.otherTransitive());
    }

    /** A link-local next hop only means something on the link it was learned on. */
    private static NextHop withoutLinkLocal(NextHop hop) {
        return hop.linkLocal() == null ? hop : NextHop.of(hop.address());
    }
}
