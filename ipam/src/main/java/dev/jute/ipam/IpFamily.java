package dev.jute.ipam;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;

/** An IP address family; Jute manages at most one pool per family (dual stack). */
public enum IpFamily {
    IPV4(4),
    IPV6(16);

    private final int byteLength;

    IpFamily(int byteLength) {
        this.byteLength = byteLength;
    }

    /** Length of an address of this family in bytes (4 or 16). */
    public int byteLength() {
        return byteLength;
    }

    /** Length of an address of this family in bits (32 or 128). */
    public int bitLength() {
        return byteLength * 8;
    }

    public static IpFamily of(InetAddress address) {
        return switch (address) {
            case Inet4Address _ -> IPV4;
            case Inet6Address _ -> IPV6;
            default -> throw new IllegalArgumentException("unknown address type: " + address);
        };
    }

    /** Lower-case name used in file names and messages ("ipv4", "ipv6"). */
    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
