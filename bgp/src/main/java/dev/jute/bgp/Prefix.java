package dev.jute.bgp;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Objects;

/**
 * An IPv4 or IPv6 prefix. Stored as two longs instead of a byte array so a full table of prefixes
 * costs one small object each; host bits are always cleared, so equal networks compare equal.
 * IPv4 addresses live in the low 32 bits of {@code low}.
 */
public record Prefix(AddressFamily family, long high, long low, int length) implements Comparable<Prefix> {

    public Prefix {
        Objects.requireNonNull(family, "family");
        if (length < 0 || length > family.maxPrefixLength()) {
            throw new IllegalArgumentException("prefix length " + length + " out of range for " + family);
        }
        if (family == AddressFamily.IPV4) {
            high = 0;
            low = low & 0xFFFF_FFFFL & (length == 0 ? 0 : (0xFFFF_FFFFL << (32 - length)));
        } else {
            high = high & maskHigh(length);
            low = low & maskLow(length);
        }
    }

    private static long maskHigh(int length) {
        if (length >= 64) {
            return -1L;
        }
        return length == 0 ? 0 : -1L << (64 - length);
    }

    private static long maskLow(int length) {
        if (length <= 64) {
            return 0;
        }
        return length == 128 ? -1L : -1L << (128 - length);
    }

    /** Builds a prefix from address bytes (4 or 16); bytes beyond the prefix length are ignored. */
    public static Prefix of(byte[] address, int length) {
        if (address.length == 4) {
            long v = ((address[0] & 0xFFL) << 24) | ((address[1] & 0xFFL) << 16)
                    | ((address[2] & 0xFFL) << 8) | (address[3] & 0xFFL);
            return new Prefix(AddressFamily.IPV4, 0, v, length);
        }
        if (address.length == 16) {
            long h = 0;
            long l = 0;
            for (int i = 0; i < 8; i++) {
                h = (h << 8) | (address[i] & 0xFFL);
                l = (l << 8) | (address[i + 8] & 0xFFL);
            }
            return new Prefix(AddressFamily.IPV6, h, l, length);
        }
        throw new IllegalArgumentException("address must have 4 or 16 bytes, got " + address.length);
    }

    public static Prefix of(InetAddress address, int length) {
        return of(address.getAddress(), length);
    }

    /** Parses {@code "10.0.0.0/24"} or {@code "2001:db8::/32"}; a bare address is a host prefix. */
    public static Prefix parse(String text) {
        Objects.requireNonNull(text, "text");
        int slash = text.indexOf('/');
        String addressText = slash < 0 ? text : text.substring(0, slash);
        if (addressText.isEmpty() || !addressText.matches("[0-9A-Fa-f:.]+")) {
            throw new IllegalArgumentException("not an IP prefix: " + text);
        }
        byte[] address;
        try {
            address = InetAddress.getByName(addressText).getAddress();
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("not an IP prefix: " + text, e);
        }
        int length;
        if (slash < 0) {
            length = address.length * 8;
        } else {
            try {
                length = Integer.parseInt(text.substring(slash + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("bad prefix length in " + text, e);
            }
        }
        return of(address, length);
    }

    /** The network address bytes (4 or 16). */
    public byte[] addressBytes() {
        byte[] out = new byte[family.addressBytes()];
        if (family == AddressFamily.IPV4) {
            for (int i = 0; i < 4; i++) {
                out[i] = (byte) (low >>> (24 - 8 * i));
            }
        } else {
            for (int i = 0; i < 8; i++) {
                out[i] = (byte) (high >>> (56 - 8 * i));
                out[i + 8] = (byte) (low >>> (56 - 8 * i));
            }
        }
        return out;
    }

    public InetAddress address() {
        try {
            return InetAddress.getByAddress(addressBytes());
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e); // cannot happen for 4 or 16 bytes
        }
    }

    @Override
    public int compareTo(Prefix o) {
        int c = family.compareTo(o.family);
        if (c == 0) {
            c = Long.compareUnsigned(high, o.high);
        }
        if (c == 0) {
            c = Long.compareUnsigned(low, o.low);
        }
        return c != 0 ? c : Integer.compare(length, o.length);
    }

    @Override
    public String toString() {
        return address().getHostAddress().replaceFirst("(^|:)(0(:0)+)(:|$)", "::") + "/" + length;
    }
}
