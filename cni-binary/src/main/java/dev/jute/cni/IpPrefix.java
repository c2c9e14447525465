package dev.jute.cni;

/**
 * An address with a prefix length in CIDR notation, e.g. "10.244.1.7/24". The host bits are kept:
 * in CNI results the CIDR is an interface address, not a network; {@link #network()} masks them.
 */
public final class IpPrefix {
    private final IpAddress address;
    private final int length;

    public IpPrefix(IpAddress address, int length) {
        if (address == null) {
            throw new IllegalArgumentException("address is required");
        }
        if (length < 0 || length > address.bitLength()) {
            throw new IllegalArgumentException("prefix length " + length + " out of range 0.." + address.bitLength());
        }
        this.address = address;
        this.length = length;
    }

    /** Parses "address/length"; throws IllegalArgumentException with the reason. */
    public static IpPrefix parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("empty CIDR");
        }
        int slash = text.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("\"" + text + "\" is not in CIDR notation (address/length)");
        }
        IpAddress address = IpAddress.parse(text.substring(0, slash));
        String len = text.substring(slash + 1);
        int value = 0;
        if (len.isEmpty() || len.length() > 3 || (len.length() > 1 && len.charAt(0) == '0')) {
            throw new IllegalArgumentException("invalid prefix length in \"" + text + "\"");
        }
        for (int i = 0; i < len.length(); i++) {
            char c = len.charAt(i);
            if (c < '0' || c > '9') {
                throw new IllegalArgumentException("invalid prefix length in \"" + text + "\"");
            }
            value = value * 10 + (c - '0');
        }
        if (value > address.bitLength()) {
            throw new IllegalArgumentException("prefix length " + value + " too long in \"" + text + "\"");
        }
        return new IpPrefix(address, value);
    }

    public IpAddress address() {
        return address;
    }

    public int length() {
        return length;
    }

    public boolean isIpv4() {
        return address.isIpv4();
    }

    /** The same prefix with the host bits cleared. */
    public IpPrefix network() {
        byte[] b = address.toBytes();
        for (int bit = length; bit < b.length * 8; bit++) {
            b[bit >> 3] &= (byte) ~(0x80 >>> (bit & 7));
        }
        return new IpPrefix(IpAddress.ofBytes(b), length);
    }

    /** Does the prefix (as a network) contain the address? */
    public boolean contains(IpAddress other) {
        if (other.isIpv4() != address.isIpv4()) {
            return false;
        }
        byte[] a = address.toBytes();
        byte[] o = other.toBytes();
        for (int bit = 0; bit < length; bit++) {
            int mask = 0x80 >>> (bit & 7);
            if ((a[bit >> 3] & mask) != (o[bit >> 3] & mask)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        return address + "/" + length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof IpPrefix other && length == other.length && address.equals(other.address);
    }

    @Override
    public int hashCode() {
        return address.hashCode() * 31 + length;
    }
}
