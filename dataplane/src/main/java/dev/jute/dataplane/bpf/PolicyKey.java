package dev.jute.dataplane.bpf;

import java.util.Objects;

/**
 * One allow entry of the {@code policy} map: traffic of endpoint {@code endpointId} in
 * {@code direction} with a remote side matching {@code peer}, IP protocol {@code protocol} and a
 * destination port in {@code portBase/portPrefixLength} is allowed. Protocol 0 means every
 * protocol (ICMP included) and then the port prefix must be {@code 0/0}; a port entry never
 * matches a protocol without ports. This is the policy module's {@code AllowEntry} bound to an
 * endpoint and direction.
 */
public record PolicyKey(int endpointId, TrafficDirection direction, PolicyPeer peer, int protocol, int portBase,
                        int portPrefixLength) {

    public static final int ANY_PROTOCOL = 0;
    public static final int TCP = 6;
    public static final int UDP = 17;
    public static final int SCTP = 132;

    public PolicyKey {
        Objects.requireNonNull(direction, "direction");
        Objects.requireNonNull(peer, "peer");
        if (endpointId == 0) {
            throw new IllegalArgumentException("endpoint id 0 is reserved");
        }
        if (protocol < 0 || protocol > 255) {
            throw new IllegalArgumentException("IP protocol " + protocol + " is outside 0-255");
        }
        if (portPrefixLength < 0 || portPrefixLength > 16) {
            throw new IllegalArgumentException("port prefix length " + portPrefixLength + " is outside 0-16");
        }
        if (portBase < 0 || portBase > 0xffff) {
            throw new IllegalArgumentException("port " + portBase + " is outside 0-65535");
        }
        int hostBits = (1 << (16 - portPrefixLength)) - 1;
        if ((portBase & hostBits) != 0) {
            throw new IllegalArgumentException("port prefix " + portBase + "/" + portPrefixLength
                                               + " has bits set below its length");
        }
        if (protocol == ANY_PROTOCOL && portPrefixLength != 0) {
            throw new IllegalArgumentException("an entry for every protocol cannot restrict ports");
        }
    }

    /** An entry for every protocol and port. */
    public static PolicyKey anyProtocol(int endpointId, TrafficDirection direction, PolicyPeer peer) {
        return new PolicyKey(endpointId, direction, peer, ANY_PROTOCOL, 0, 0);
    }

    /** An entry for one port of one protocol. */
    public static PolicyKey port(int endpointId, TrafficDirection direction, PolicyPeer peer, int protocol, int port) {
        return new PolicyKey(endpointId, direction, peer, protocol, port, 16);
    }

    /**
     * The fewest entries whose port prefixes together cover exactly {@code first-last} (a range
     * such as 80-95 is the one prefix 80/12; 79-96 needs several).
     */
    public static java.util.List<PolicyKey> portRange(int endpointId, TrafficDirection direction, PolicyPeer peer,
                                                      int protocol, int first, int last) {
        if (first < 0 || last > 0xffff || first > last) {
            throw new IllegalArgumentException("bad port range " + first + "-" + last);
        }
        java.util.List<PolicyKey> keys = new java.util.ArrayList<>();
        int base = first;
        while (base <= last) {
            int size = base == 0 ? 1 << 16 : Integer.lowestOneBit(base);
            while (base + size - 1 > last) {
                size >>= 1;
            }
            keys.add(new PolicyKey(endpointId, direction, peer, protocol, base, 16 - Integer.numberOfTrailingZeros(size)));
            base += size;
        }
        return keys;
    }

    public int firstPort() {
        return portBase;
    }

    public int lastPort() {
        return portBase | ((1 << (16 - portPrefixLength)) - 1);
    }

    @Override
    public String toString() {
        String what = protocol == ANY_PROTOCOL ? "any protocol"
                : "proto " + protocol + " ports " + firstPort() + (lastPort() != firstPort() ? "-" + lastPort() : "");
        return "endpoint " + Integer.toUnsignedString(endpointId) + " " + direction.name().toLowerCase() + " " + peer
               + " " + what;
    }
}
