package dev.jute.policy;

/**
 * A block of ports written like a CIDR over the 16-bit port number: {@code base/length} matches
 * every port whose top {@code length} bits equal those of {@code base}. So {@code 80/16} is port 80
 * alone, {@code 80/12} is 80-95 (the low 4 bits are free), and {@code 0/0} is every port 0-65535.
 * The low {@code 16 - length} bits of {@code base} are always zero. This is the key shape of the
 * dataplane's port match: an LPM trie keyed by the port with this prefix length.
 */
public record PortPrefix(int base, int length) implements Comparable<PortPrefix> {

    public static final int PORT_BITS = 16;

    /** Every port, 0-65535. */
    public static final PortPrefix ALL = new PortPrefix(0, 0);

    public PortPrefix {
        if (length < 0 || length > PORT_BITS) {
            throw new IllegalArgumentException("port prefix length " + length + " is outside 0-16");
        }
        if (base < 0 || base > PortRange.MAX_PORT) {
            throw new IllegalArgumentException("port " + base + " is outside 0-65535");
        }
        if ((base & hostMask(length)) != 0) {
            throw new IllegalArgumentException("port prefix " + base + "/" + length + " has bits set below its length");
        }
    }

    /** One port: {@code port/16}. */
    public static PortPrefix single(int port) {
        return new PortPrefix(port, PORT_BITS);
    }

    private static int hostMask(int length) {
        return (1 << (PORT_BITS - length)) - 1;
    }

    public int first() {
        return base;
    }

    public int last() {
        return base | hostMask(length);
    }

    /** The number of ports in the block, {@code 2^(16 - length)}. */
    public int size() {
        return 1 << (PORT_BITS - length);
    }

    public boolean matches(int port) {
        return port >= 0 && port <= PortRange.MAX_PORT && (port & ~hostMask(length)) == base;
    }

    @Override
    public int compareTo(PortPrefix other) {
        int byBase = Integer.compare(base, other.base);
        return byBase != 0 ? byBase : Integer.compare(length, other.length);
    }

    @Override
    public String toString() {
        return base + "/" + length;
    }
}
