package dev.jute.agent.policy;

import dev.jute.dataplane.Address;
import dev.jute.dataplane.LibC;
import dev.jute.dataplane.RouteNetlink;

import java.net.InetAddress;
import java.util.HashSet;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The node's own addresses (every address of the agent's network namespace but loopback): traffic
 * from them into pods is the node itself — kubelet probes — which Kubernetes always allows. Link-local
 * ones are included: the pods' IPv6 gateway is the host veths' link-local address.
 */
final class NodeAddresses implements Supplier<Set<InetAddress>> {

    private final RouteNetlink netlink;

    NodeAddresses(RouteNetlink netlink) {
        this.netlink = netlink;
    }

    @Override
    public Set<InetAddress> get() {
        Set<InetAddress> addresses = new HashSet<>();
        for (int family : new int[]{LibC.AF_INET, LibC.AF_INET6}) {
            for (Address address : netlink.addresses(family)) {
                if (!address.address().isLoopbackAddress()) {
                    addresses.add(stripScope(address.address()));
                }
            }
        }
        return addresses;
    }

    private static InetAddress stripScope(InetAddress address) {
        try {
            return InetAddress.getByAddress(address.getAddress());
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException("4 or 16 bytes are always an address", e);
        }
    }
}
