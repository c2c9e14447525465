package dev.jute.bgp;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.Objects;

/**
 * A route's next hop. IPv6 routes may carry a link-local address besides the global one
 * (RFC 2545 §3); {@code linkLocal} is {@code null} otherwise.
 */
public record NextHop(InetAddress address, InetAddress linkLocal) {
    public NextHop {
        Objects.requireNonNull(address, "address");
        if (linkLocal != null && !(linkLocal instanceof Inet6Address)) {
            throw new IllegalArgumentException("link-local next hop must be IPv6");
        }
    }

    public static NextHop of(InetAddress address) {
        return new NextHop(address, null);
    }

    @Override
    public String toString() {
        return linkLocal == null ? address.getHostAddress()
                : address.getHostAddress() + " (" + linkLocal.getHostAddress() + ")";
    }
}
