package dev.jute.dataplane;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.Objects;

/** Checks on address/prefix-length pairs shared by addresses and routes. */
final class Prefixes {

    private Prefixes() {
    }

    static int maxLength(InetAddress address) {
        return address instanceof Inet6Address ? 128 : 32;
    }

    static void requireValidLength(InetAddress address, int prefixLength) {
        Objects.requireNonNull(address, "address");
        if (prefixLength < 0 || prefixLength > maxLength(address)) {
            throw new IllegalArgumentException("prefix length " + prefixLength + " is out of range for "
                                               + AddressText.of(address));
        }
    }

    /** Whether every bit after the first {@code prefixLength} is zero (the kernel refuses other route destinations). */
    static boolean isNetworkAddress(InetAddress address, int prefixLength) {
        byte[] bytes = address.getAddress();
        for (int bit = prefixLength; bit < bytes.length * 8; bit++) {
            if ((bytes[bit / 8] & (0x80 >>> (bit % 8))) != 0) {
                return false;
            }
        }
        return true;
    }

    static InetAddress unspecified(int family) {
        try {
            return InetAddress.getByAddress(new byte[family == LibC.AF_INET6 ? 16 : 4]);
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }
}
