package dev.jute.bgp;

/**
 * The address families Jute speaks: IPv4 and IPv6 unicast (AFI 1/2, SAFI 1, RFC 4760).
 */
public enum AddressFamily {
    IPV4(1, 4),
    IPV6(2, 16);

    /** Subsequent address family identifier for unicast forwarding. */
    public static final int SAFI_UNICAST = 1;

    private final int afi;
    private final int addressBytes;

    AddressFamily(int afi, int addressBytes) {
        this.afi = afi;
        this.addressBytes = addressBytes;
    }

    public int afi() {
        return afi;
    }

    public int addressBytes() {
        return addressBytes;
    }

    public int maxPrefixLength() {
        return addressBytes * 8;
    }

    /** The family for an AFI/SAFI pair, or {@code null} when Jute does not carry it. */
    public static AddressFamily fromAfiSafi(int afi, int safi) {
        if (safi != SAFI_UNICAST) {
            return null;
        }
        return switch (afi) {
            case 1 -> IPV4;
            case 2 -> IPV6;
            default -> null;
        };
    }
}
