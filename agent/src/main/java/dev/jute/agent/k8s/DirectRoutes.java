package dev.jute.agent.k8s;

import dev.jute.dataplane.AddressText;
import dev.jute.dataplane.Route;
import dev.jute.dataplane.RouteProtocol;
import dev.jute.dataplane.RouteTable;
import dev.jute.ipam.IpPrefix;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The routes of {@link RoutingMode#DIRECT} routing, computed from the Nodes alone: for every other node,
 * each of its pod CIDRs via its InternalIP of the same family. The node's own pod CIDR gets no route (its
 * pods have host routes). A CIDR claimed by two nodes is a control-plane bug: the route goes to the node
 * first in name order, and the conflict is reported, so the result never depends on event order.
 */
public final class DirectRoutes {

    /** What identifies a route of ours in the kernel: destination and next hop. */
    public record Key(InetAddress destination, int prefixLength, InetAddress gateway) {
        public static Key of(Route route) {
            return new Key(route.destination(), route.prefixLength(), route.gateway());
        }

        public Route toRoute() {
            return Route.to(destination, prefixLength).via(gateway).withProtocol(RouteProtocol.JUTE);
        }

        @Override
        public String toString() {
            return AddressText.of(destination) + "/" + prefixLength + " via " + AddressText.of(gateway);
        }
    }

    /** The desired routes plus the reasons some nodes could not be routed to. */
    public record Plan(List<Key> routes, List<String> problems) {
    }

    private DirectRoutes() {
    }

    public static Plan plan(String selfName, Collection<NodeInfo> nodes) {
        List<String> problems = new ArrayList<>();
        Map<IpPrefix, Key> byDestination = new TreeMap<>();
        List<NodeInfo> sorted = nodes.stream().sorted(java.util.Comparator.comparing(NodeInfo::name)).toList();
        List<IpPrefix> ownCidrs = new ArrayList<>();
        for (NodeInfo node : sorted) {
            if (node.name().equals(selfName)) {
                node.podCidrs().forEach(c -> parse(c, node, problems).ifPresent(ownCidrs::add));
            }
        }
        for (NodeInfo node : sorted) {
            if (node.name().equals(selfName)) {
                continue;
            }
            node.problems().forEach(p -> problems.add("node " + node.name() + ": " + p));
            for (String cidr : node.podCidrs()) {
                var prefix = parse(cidr, node, problems);
                if (prefix.isEmpty()) {
                    continue;
                }
                if (ownCidrs.stream().anyMatch(own -> own.contains(prefix.get()) || prefix.get().contains(own))) {
                    problems.add("node " + node.name() + " claims pod CIDR " + cidr + ", which overlaps this node's");
                    continue;
                }
                var gateway = node.internalIpLike(prefix.get().network());
                if (gateway.isEmpty()) {
                    problems.add("node " + node.name() + " has no InternalIP of the family of its pod CIDR " + cidr);
                    continue;
                }
                Key key = new Key(prefix.get().network(), prefix.get().length(), gateway.get());
                Key taken = byDestination.putIfAbsent(prefix.get(), key);
                if (taken != null) {
                    problems.add("pod CIDR " + cidr + " of node " + node.name() + " is also claimed via " + AddressText.of(taken.gateway()));
                }
            }
        }
        return new Plan(List.copyOf(byDestination.values()), List.copyOf(problems));
    }

    /** Whether a kernel route is one that direct routing installs (and may therefore remove). */
    public static boolean isOurs(Route route) {
        return route.protocol() == RouteProtocol.JUTE && route.table() == RouteTable.MAIN && route.gateway() != null
               && route.type() == Route.TYPE_UNICAST;
    }

    private static java.util.Optional<IpPrefix> parse(String cidr, NodeInfo node, List<String> problems) {
        try {
            IpPrefix prefix = IpPrefix.parse(cidr);
            return java.util.Optional.of(prefix);
        } catch (IllegalArgumentException e) {
            problems.add("node " + node.name() + " has an invalid pod CIDR '" + cidr + "': " + e.getMessage());
            return java.util.Optional.empty();
        }
    }
}
