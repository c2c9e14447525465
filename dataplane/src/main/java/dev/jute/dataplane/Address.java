package dev.jute.dataplane;

import java.net.Inet6Address;
import java.net.InetAddress;

/**
 * An interface address.
 *
 * @param scope {@link RouteScope} value ({@code UNIVERSE} for ordinary addresses)
 * @param flags {@code IFA_F_*} bits, e.g. {@link #NODAD}
 */
public record Address(int interfaceIndex, InetAddress address, int prefixLength, int scope, int flags) {

    /** Skip duplicate address detection (IPv6), so the address is usable at once instead of after ~1 s. */
    public static final int NODAD = 0x02;
    public static final int TENTATIVE = 0x40;
    public static final int PERMANENT = 0x80;

    public Address {
        if (interfaceIndex <= 0) {
            throw new IllegalArgumentException("interface index must be positive: " + interfaceIndex);
        }
        Prefixes.requireValidLength(address, prefixLength);
    }

    public int family() {
        return address instanceof Inet6Address ? LibC.AF_INET6 : LibC.AF_INET;
    }

    public boolean hasFlag(int flag) {
        return (flags & flag) != 0;
    }

    @Override
    public String toString() {
        return AddressText.of(address) + "/" + prefixLength + " on ifindex " + interfaceIndex;
    }
}
