package dev.jute.agent.bgp;

import dev.jute.bgp.NextHop;
import dev.jute.bgp.Route;
import dev.jute.dataplane.Address;
import dev.jute.dataplane.AddressText;
import dev.jute.dataplane.LibC;
import dev.jute.dataplane.RouteNetlink;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.List;

/**
 * Turns a BGP next hop into something the kernel accepts, from the node's interface addresses:
 * <ul>
 *   <li>a next hop inside a connected subnet: {@code via NH dev IF};</li>
 *   <li>an IPv6 route whose global next hop is not on a connected subnet but which also carries a
 *       link-local one (BIRD, FRR over a shared link): {@code via fe80::.. dev IF}, IF being the interface
 *       the peer is reached on;</li>
 *   <li>a next hop outside every subnet, learned from a directly connected peer (a peer that sets the next
 *       hop to a loopback /32): {@code via NH dev IF onlink};</li>
 *   <li>anything else: {@code via NH} and the kernel decides (it refuses gateways it cannot reach directly).</li>
 * </ul>
 * Not thread-safe: used by the installer's one thread.
 */
final class NextHopResolver {

    /** Outcome: a next hop, or why there is none. */
    record Resolution(KernelNextHop nextHop, String problem) {
    }

    private final RouteNetlink netlink;
    private List<Address> addresses = List.of();

    NextHopResolver(RouteNetlink netlink) {
        this.netlink = netlink;
    }

    /** Re-reads the node's addresses; cheap (a handful of entries), done before each batch. */
    void refresh() {
        addresses = netlink.addresses(LibC.AF_UNSPEC);
    }

    Resolution resolve(Route route) {
        NextHop nextHop = route.nextHop();
        if (nextHop == null) {
            return new Resolution(null, "no next hop");
        }
        boolean v4 = route.prefix().family() == dev.jute.bgp.AddressFamily.IPV4;
        InetAddress gateway = nextHop.address();
        if (v4 != (gateway instanceof Inet4Address)) {
            return new Resolution(null, "next hop " + AddressText.of(gateway) + " is of the other address family");
        }
        if (gateway instanceof Inet6Address && isIpv4Mapped(gateway.getAddress())) {
            return new Resolution(null, "IPv4-mapped next hop " + AddressText.of(gateway) + " (IPv6 over an IPv4 session"
                                        + " without an IPv6 next hop)");
        }
        if (isOwn(gateway)) {
            return new Resolution(null, "next hop " + AddressText.of(gateway) + " is this node");
        }
        Address connected = subnetContaining(gateway);
        if (connected != null) {
            return new Resolution(new KernelNextHop(gateway, connected.interfaceIndex(), false), null);
        }
        Address towardsPeer = route.peer() == null ? null : subnetContaining(route.peer());
        if (nextHop.linkLocal() != null && towardsPeer != null) {
            return new Resolution(new KernelNextHop(nextHop.linkLocal(), towardsPeer.interfaceIndex(), false), null);
        }
        if (gateway instanceof Inet6Address && gateway.isLinkLocalAddress() && towardsPeer != null) {
            return new Resolution(new KernelNextHop(gateway, towardsPeer.interfaceIndex(), false), null);
        }
        if (towardsPeer != null && sameFamily(route.peer(), gateway)) {
            return new Resolution(new KernelNextHop(gateway, towardsPeer.interfaceIndex(), true), null);
        }
        return new Resolution(new KernelNextHop(gateway, 0, false), null);
    }

    private boolean isOwn(InetAddress address) {
        for (Address a : addresses) {
            if (a.address().equals(address)) {
                return true;
            }
        }
        return false;
    }

    /** The address (of the most specific subnet) whose subnet holds {@code target}; host addresses do not count. */
    private Address subnetContaining(InetAddress target) {
        Address best = null;
        byte[] t = target.getAddress();
        for (Address a : addresses) {
            byte[] mine = a.address().getAddress();
            if (mine.length != t.length || a.prefixLength() >= mine.length * 8) {
                continue;
            }
            if (target.isLinkLocalAddress() != a.address().isLinkLocalAddress()) {
                continue; // fe80::/64 exists on every interface: link-local gateways need the peer's interface
            }
            if (samePrefix(mine, t, a.prefixLength()) && (best == null || a.prefixLength() > best.prefixLength())) {
                best = a;
            }
        }
        return best;
    }

    static boolean samePrefix(byte[] a, byte[] b, int length) {
        int full = length / 8;
        for (int i = 0; i < full; i++) {
            if (a[i] != b[i]) {
                return false;
            }
        }
        int rest = length % 8;
        if (rest == 0) {
            return true;
        }
        int mask = 0xFF << (8 - rest) & 0xFF;
        return (a[full] & mask) == (b[full] & mask);
    }

    private static boolean sameFamily(InetAddress a, InetAddress b) {
        return a.getAddress().length == b.getAddress().length;
    }

    private static boolean isIpv4Mapped(byte[] b) {
        for (int i = 0; i < 10; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return (b[10] & 0xFF) == 0xFF && (b[11] & 0xFF) == 0xFF;
    }
}
