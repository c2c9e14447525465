package dev.jute.dataplane;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.Objects;

/**
 * A unicast route. Start from {@link #to(InetAddress, int)} or {@link #defaultRoute(int)} and
 * refine with the {@code with...}/{@link #via}/{@link #device} methods:
 * <pre>{@code Route.to(podIp, 32).device(hostVeth).withScope(RouteScope.LINK).withProtocol(RouteProtocol.JUTE)}</pre>
 *
 * @param destination     the network address (the unspecified address for a default route)
 * @param gateway         next hop, or null for a directly attached destination
 * @param outputInterface interface index, or 0 for none
 * @param protocol        {@link RouteProtocol} value
 * @param table           routing table id, {@link RouteTable#MAIN} by default
 * @param type            {@code RTN_*} route type, 1 (unicast) by default
 * @param onLink          pretend the gateway is on the link even if no prefix says so ({@code RTNH_F_ONLINK})
 * @param priority        metric; 0 means unset (the kernel reports IPv6 routes with 1024)
 */
public record Route(InetAddress destination, int prefixLength, InetAddress gateway, int outputInterface,
                    int scope, int protocol, int table, int type, boolean onLink, int priority) {

    public static final int TYPE_UNICAST = 1;
    public static final int TYPE_LOCAL = 2;

    public Route {
        Prefixes.requireValidLength(destination, prefixLength);
        if (!Prefixes.isNetworkAddress(destination, prefixLength)) {
            throw new IllegalArgumentException("route destination " + AddressText.of(destination) + "/" + prefixLength
                                               + " has host bits set");
        }
        if (gateway != null && (gateway instanceof Inet6Address) != (destination instanceof Inet6Address)) {
            throw new IllegalArgumentException("gateway " + AddressText.of(gateway) + " is not of the family of "
                                               + AddressText.of(destination));
        }
        if (outputInterface < 0) {
            throw new IllegalArgumentException("negative interface index " + outputInterface);
        }
        checkByte("scope", scope);
        checkByte("protocol", protocol);
        checkByte("type", type);
    }

    private static void checkByte(String what, int value) {
        if (value < 0 || value > 255) {
            throw new IllegalArgumentException("route " + what + " " + value + " is out of range 0..255");
        }
    }

    /** A unicast route to {@code destination/prefixLength} in the main table, scope universe, protocol boot. */
    public static Route to(InetAddress destination, int prefixLength) {
        return new Route(destination, prefixLength, null, 0, RouteScope.UNIVERSE, RouteProtocol.BOOT,
                RouteTable.MAIN, TYPE_UNICAST, false, 0);
    }

    /** A default route ({@code 0.0.0.0/0} or {@code ::/0}) for {@link LibC#AF_INET} or {@link LibC#AF_INET6}. */
    public static Route defaultRoute(int family) {
        if (family != LibC.AF_INET && family != LibC.AF_INET6) {
            throw new IllegalArgumentException("not an IP family: " + family);
        }
        return to(Prefixes.unspecified(family), 0);
    }

    public Route via(InetAddress newGateway) {
        return new Route(destination, prefixLength, Objects.requireNonNull(newGateway, "gateway"), outputInterface,
                scope, protocol, table, type, onLink, priority);
    }

    public Route device(int interfaceIndex) {
        return new Route(destination, prefixLength, gateway, interfaceIndex, scope, protocol, table, type, onLink, priority);
    }

    public Route withScope(int newScope) {
        return new Route(destination, prefixLength, gateway, outputInterface, newScope, protocol, table, type, onLink, priority);
    }

    public Route withProtocol(int newProtocol) {
        return new Route(destination, prefixLength, gateway, outputInterface, scope, newProtocol, table, type, onLink, priority);
    }

    public Route withTable(int newTable) {
        return new Route(destination, prefixLength, gateway, outputInterface, scope, protocol, newTable, type, onLink, priority);
    }

    public Route withOnLink(boolean newOnLink) {
        return new Route(destination, prefixLength, gateway, outputInterface, scope, protocol, table, type, newOnLink, priority);
    }

    public Route withPriority(int newPriority) {
        return new Route(destination, prefixLength, gateway, outputInterface, scope, protocol, table, type, onLink, newPriority);
    }

    public int family() {
        return destination instanceof Inet6Address ? LibC.AF_INET6 : LibC.AF_INET;
    }

    public boolean isDefault() {
        return prefixLength == 0;
    }

    @Override
    public String toString() {
        StringBuilder text = new StringBuilder(isDefault() ? "default" : AddressText.of(destination) + "/" + prefixLength);
        if (gateway != null) {
            text.append(" via ").append(AddressText.of(gateway));
        }
        if (outputInterface != 0) {
            text.append(" dev #").append(outputInterface);
        }
        text.append(" table ").append(table).append(" proto ").append(protocol).append(" scope ").append(scope);
        if (onLink) {
            text.append(" onlink");
        }
        return text.toString();
    }
}
