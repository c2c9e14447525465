package dev.jute.policy;

import java.util.ArrayList;
import java.util.List;

/** An inclusive range of port numbers, {@code first <= last}, both in 0-65535. */
public record PortRange(int first, int last) {

    public static final int MAX_PORT = 65535;

    /** Every port; what a policy port entry without a port number means. */
    public static final PortRange ALL = new PortRange(0, MAX_PORT);

    public PortRange {
        if (first < 0 || last > MAX_PORT || first > last) {
            throw new IllegalArgumentException("bad port range " + first + "-" + last);
        }
    }

    public static PortRange single(int port) {
        return new PortRange(port, port);
    }

    public boolean contains(int port) {
        return port >= first && port <= last;
    }

    public int size() {
        return last - first + 1;
    }

    /**
     * The fewest {@link PortPrefix} blocks whose union is exactly this range, in ascending order and
     * without overlap. Greedy from the low end: at each step take the largest block that starts at
     * the current port (which must be aligned to its own size) and does not pass {@code last}.
     * A range needs at most 2 * 16 - 2 = 30 blocks ({@code 1-65534}).
     */
    public List<PortPrefix> toPrefixes() {
        List<PortPrefix> prefixes = new ArrayList<>();
        int port = first;
        while (port <= last) {
            // Largest power of two the current port is aligned to (port 0 is aligned to everything).
            int freeBits = port == 0 ? PortPrefix.PORT_BITS : Integer.numberOfTrailingZeros(port);
            while (port + (1 << freeBits) - 1 > last) {
                freeBits--;
            }
            prefixes.add(new PortPrefix(port, PortPrefix.PORT_BITS - freeBits));
            port += 1 << freeBits;
        }
        return prefixes;
    }

    @Override
    public String toString() {
        return first == last ? Integer.toString(first) : first + "-" + last;
    }
}
