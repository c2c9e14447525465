package dev.jute.ipam;

import java.math.BigInteger;
import java.net.InetAddress;
import java.util.Objects;

/**
 * An inclusive range of addresses of one family, used to reserve addresses that IPAM must never hand
 * out (for example addresses an operator assigned statically).
 *
 * @param first the first address of the range
 * @param last  the last address of the range, not below {@code first}
 */
public record AddressRange(InetAddress first, InetAddress last) {
    public AddressRange {
        Objects.requireNonNull(first, "first");
        Objects.requireNonNull(last, "last");
        if (IpFamily.of(first) != IpFamily.of(last)) {
            throw new IllegalArgumentException("address range mixes families: " + IpAddresses.format(first) + "-"
                    + IpAddresses.format(last));
        }
        if (IpAddresses.toBigInteger(first).compareTo(IpAddresses.toBigInteger(last)) > 0) {
            throw new IllegalArgumentException("address range ends before it starts: " + IpAddresses.format(first)
                    + "-" + IpAddresses.format(last));
        }
    }

    /** The range holding just {@code address}. */
    public static AddressRange of(InetAddress address) {
        return new AddressRange(address, address);
    }

    /** The range holding every address of {@code prefix}. */
    public static AddressRange of(IpPrefix prefix) {
        return new AddressRange(prefix.network(), prefix.lastAddress());
    }

    /**
     * Parses a single address ({@code 10.244.1.10}), an inclusive range ({@code 10.244.1.10-10.244.1.20})
     * or a CIDR prefix ({@code 10.244.1.16/28}).
     *
     * @throws IllegalArgumentException naming the input if it is none of these
     */
    public static AddressRange parse(String text) {
        Objects.requireNonNull(text, "text");
        String trimmed = text.strip();
        try {
            if (trimmed.indexOf('/') >= 0) {
                return of(IpPrefix.parse(trimmed));
            }
            int dash = trimmed.indexOf('-');
            if (dash >= 0) {
                return new AddressRange(IpAddresses.parse(trimmed.substring(0, dash).strip()),
                        IpAddresses.parse(trimmed.substring(dash + 1).strip()));
            }
            return of(IpAddresses.parse(trimmed));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid reserved address range '" + text + "': " + e.getMessage(), e);
        }
    }

    public IpFamily family() {
        return IpFamily.of(first);
    }

    public boolean contains(InetAddress address) {
        if (IpFamily.of(address) != family()) {
            return false;
        }
        BigInteger value = IpAddresses.toBigInteger(address);
        return value.compareTo(IpAddresses.toBigInteger(first)) >= 0
                && value.compareTo(IpAddresses.toBigInteger(last)) <= 0;
    }

    @Override
    public String toString() {
        return first.equals(last) ? IpAddresses.format(first)
                : IpAddresses.format(first) + "-" + IpAddresses.format(last);
    }
}
