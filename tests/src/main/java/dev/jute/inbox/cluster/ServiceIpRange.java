package dev.jute.inbox.cluster;

import dev.jute.dataplane.AddressText;

import java.math.BigInteger;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.HashMap;
import java.util.Map;

/**
 * One address family's service CIDR (the API server's {@code --service-cluster-ip-range} entry) and who
 * holds which ClusterIP in it. The network address and the last address are never handed out, as on a
 * real API server. Not thread-safe: {@link ServiceAllocator} serialises access.
 */
final class ServiceIpRange {

    /** Like kube-apiserver's bitmap allocator: at most 2^20 addresses (an IPv4 /12, an IPv6 /108). */
    static final int MAX_HOST_BITS = 20;

    private final String cidr;
    private final IpFamily family;
    private final BigInteger network;
    private final int hostBits;
    private final Map<String, String> owners = new HashMap<>();
    private long nextOffset = 10;

    /** The two families, named as the Service API names them. */
    enum IpFamily {
        IPv4, IPv6;

        static IpFamily of(InetAddress address) {
            return address instanceof Inet4Address ? IPv4 : IPv6;
        }

        /** The family of an address literal; empty for anything that is not one. */
        static java.util.Optional<IpFamily> ofLiteral(String literal) {
            try {
                return java.util.Optional.of(of(InetAddress.ofLiteral(literal)));
            } catch (IllegalArgumentException e) {
                return java.util.Optional.empty();
            }
        }

        IpFamily other() {
            return this == IPv4 ? IPv6 : IPv4;
        }
    }

    ServiceIpRange(String cidr) {
        int slash = cidr.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("service CIDR " + cidr + " has no prefix length");
        }
        InetAddress base = InetAddress.ofLiteral(cidr.substring(0, slash));
        int bits = base.getAddress().length * 8;
        int prefix = Integer.parseInt(cidr.substring(slash + 1));
        if (prefix < bits - MAX_HOST_BITS || prefix > bits - 2) {
            throw new IllegalArgumentException("service CIDR " + cidr + ": the prefix must leave 2 to " + MAX_HOST_BITS + " host bits");
        }
        this.cidr = cidr;
        this.family = IpFamily.of(base);
        this.hostBits = bits - prefix;
        this.network = new BigInteger(1, base.getAddress()).shiftRight(hostBits).shiftLeft(hostBits);
    }

    IpFamily family() {
        return family;
    }

    String cidr() {
        return cidr;
    }

    boolean contains(String literal) {
        InetAddress address;
        try {
            address = InetAddress.ofLiteral(literal);
        } catch (IllegalArgumentException e) {
            return false;
        }
        return IpFamily.of(address) == family
               && new BigInteger(1, address.getAddress()).shiftRight(hostBits).equals(network.shiftRight(hostBits));
    }

    /** The key ("namespace/name") holding {@code ip}, or null. {@code ip} must be in canonical form (see {@link #canonical}). */
    String owner(String ip) {
        return owners.get(ip);
    }

    /**
     * An address literal as the API server prints it (Go's net.IP.String, RFC 5952): IPv6 with the
     * longest run of two or more zero groups (the first of equals) written as "::".
     */
    static String canonical(String literal) {
        return AddressText.of(InetAddress.ofLiteral(literal));
    }

    void take(String ip, String key) {
        owners.put(ip, key);
    }

    void releaseAll(String key) {
        owners.values().removeIf(owner -> owner.equals(key));
    }

    /** The next free address after the last one handed out (wrapping), not yet taken. */
    String next() throws ServiceAllocator.Rejected {
        long size = 1L << hostBits;
        for (long tried = 0; tried < size; tried++) {
            long offset = nextOffset;
            nextOffset = nextOffset + 1 >= size - 1 ? 1 : nextOffset + 1;
            String ip = literal(network.add(BigInteger.valueOf(offset)));
            if (!owners.containsKey(ip)) {
                return ip;
            }
        }
        throw new ServiceAllocator.Rejected("Internal error: failed to allocate a serviceIP: range is full");
    }

    private String literal(BigInteger value) {
        byte[] raw = value.toByteArray();
        byte[] address = new byte[family == IpFamily.IPv4 ? 4 : 16];
        int copy = Math.min(raw.length, address.length);
        System.arraycopy(raw, raw.length - copy, address, address.length - copy, copy);
        try {
            return canonical(InetAddress.getByAddress(address).getHostAddress());
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e); // cannot happen: the length is 4 or 16
        }
    }
}
