package dev.jute.agent.bgp;

import dev.jute.bgp.Prefix;
import dev.jute.dataplane.AddressText;
import dev.jute.dataplane.RouteProtocol;
import dev.jute.dataplane.RouteTable;

import java.net.InetAddress;

/**
 * Where the kernel should send a BGP-learned prefix: a gateway, the interface it is on, and whether the
 * gateway must be declared on-link (it is not inside any subnet of that interface).
 */
public record KernelNextHop(InetAddress gateway, int interfaceIndex, boolean onLink) {

    /**
     * The metric of every route Jute installs for BGP. A fixed, non-default metric means
     * {@code RTM_NEWROUTE} with replace semantics only ever meets our own routes (the kernel matches
     * destination, table and metric): a static route of the administrator to the same prefix (metric 0)
     * is never overwritten and keeps precedence.
     */
    public static final int METRIC = 20;

    /** The kernel route for {@code prefix} through this next hop, tagged as Jute's. */
    dev.jute.dataplane.Route toKernelRoute(Prefix prefix) {
        return dev.jute.dataplane.Route.to(prefix.address(), prefix.length()).via(gateway).device(interfaceIndex)
                .withOnLink(onLink).withProtocol(RouteProtocol.JUTE).withPriority(METRIC);
    }

    /** The next hop of a kernel route read back from the kernel. */
    static KernelNextHop of(dev.jute.dataplane.Route route) {
        return new KernelNextHop(route.gateway(), route.outputInterface(), route.onLink());
    }

    /**
     * Whether a kernel route is one the BGP installer made: protocol jute, main table, unicast, a gateway
     * and our metric. Pod host routes (protocol jute too, but no gateway and scope link) never match.
     */
    static boolean installedByBgp(dev.jute.dataplane.Route route) {
        return route.protocol() == RouteProtocol.JUTE && route.table() == RouteTable.MAIN && route.gateway() != null
               && route.type() == dev.jute.dataplane.Route.TYPE_UNICAST && route.priority() == METRIC;
    }

    @Override
    public String toString() {
        return "via " + AddressText.of(gateway) + (interfaceIndex != 0 ? " dev #" + interfaceIndex : "") + (onLink ? " onlink" : "");
    }
}
