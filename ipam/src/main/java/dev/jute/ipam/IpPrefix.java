package dev.jute.ipam;

import java.math.BigInteger;
import java.net.InetAddress;
import java.util.Arrays;
import java.util.Optional;

/**
 * An immutable IPv4 or IPv6 CIDR prefix such as {@code 10.244.1.0/24} or {@code fd00:10:244:1::/64}.
 *
 * <p>Addresses inside a prefix are addressed by their <em>offset</em> from the network address, an
 * unsigned integer below {@link #size()}. Offsets are {@link BigInteger}s because an IPv6 /64 has 2^64
 * addresses, more than a {@code long} holds.
 *
 * <p>Host bits: {@link #parse} and {@link #of} reject a prefix whose address has bits set beyond the
 * prefix length ({@code 10.244.1.5/24}). For a pod CIDR such input is almost certainly a mistake
 * (someone pasted a node address), and silently masking it would hide that. Use {@link #containing}
 * when masking is really wanted.
 */
public final class IpPrefix implements Comparable<IpPrefix> {
    private final IpFamily family;
    private final byte[] network;
    private final int length;
    private final BigInteger networkValue;

    private IpPrefix(IpFamily family, byte[] network, int length) {
        this.family = family;
        this.network = network;
        this.length = length;
        this.networkValue = new BigInteger(1, network);
    }

    /**
     * Parses {@code address/length}.
     *
     * @throws IllegalArgumentException naming the input and the problem: missing or bad length, bad
     *                                  address, or host bits set
     */
    public static IpPrefix parse(String cidr) {
        if (cidr == null || cidr.isBlank()) {
            throw new IllegalArgumentException("empty CIDR prefix");
        }
        int slash = cidr.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("invalid CIDR prefix '" + cidr + "': missing '/length'");
        }
        String lengthText = cidr.substring(slash + 1);
        if (lengthText.isEmpty() || lengthText.length() > 3 || !lengthText.chars().allMatch(c -> c >= '0' && c <= '9')
                || (lengthText.length() > 1 && lengthText.charAt(0) == '0')) {
            throw new IllegalArgumentException("invalid CIDR prefix '" + cidr + "': '" + lengthText
                    + "' is not a prefix length");
        }
        InetAddress address;
        try {
            address = IpAddresses.parse(cidr.substring(0, slash));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid CIDR prefix '" + cidr + "': " + e.getMessage(), e);
        }
        try {
            return of(address, Integer.parseInt(lengthText));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid CIDR prefix '" + cidr + "': " + e.getMessage(), e);
        }
    }

    /**
     * The prefix with the given network address and length.
     *
     * @throws IllegalArgumentException if the length is out of range or {@code network} has host bits set
     */
    public static IpPrefix of(InetAddress network, int length) {
        IpFamily family = IpFamily.of(network);
        checkLength(family, length);
        byte[] bytes = network.getAddress();
        byte[] masked = mask(bytes, length);
        if (!Arrays.equals(bytes, masked)) {
            throw new IllegalArgumentException("host bits set in " + IpAddresses.format(network) + "/" + length
                    + " (did you mean " + IpAddresses.format(IpAddresses.fromBytes(masked)) + "/" + length + "?)");
        }
        return new IpPrefix(family, masked, length);
    }

    /** The prefix of the given length that contains {@code address} (host bits are cleared). */
    public static IpPrefix containing(InetAddress address, int length) {
        IpFamily family = IpFamily.of(address);
        checkLength(family, length);
        return new IpPrefix(family, mask(address.getAddress(), length), length);
    }

    private static void checkLength(IpFamily family, int length) {
        if (length < 0 || length > family.bitLength()) {
            throw new IllegalArgumentException("prefix length " + length + " is outside 0-" + family.bitLength()
                    + " for " + family.label());
        }
    }

    private static byte[] mask(byte[] address, int length) {
        byte[] result = address.clone();
        for (int bit = length; bit < result.length * 8; bit++) {
            result[bit / 8] &= (byte) ~(0x80 >>> (bit % 8));
        }
        return result;
    }

    public IpFamily family() {
        return family;
    }

    /** The prefix length in bits. */
    public int length() {
        return length;
    }

    /** The network address (offset 0). */
    public InetAddress network() {
        return IpAddresses.fromBytes(network.clone());
    }

    /** The last address of the prefix (all host bits set). */
    public InetAddress lastAddress() {
        return address(size().subtract(BigInteger.ONE));
    }

    /**
     * The IPv4 directed broadcast address, or empty for IPv6 (which has none) and for IPv4 /31 and /32
     * (point-to-point and host prefixes have no broadcast address, RFC 3021).
     */
    public Optional<InetAddress> broadcast() {
        if (family != IpFamily.IPV4 || length >= 31) {
            return Optional.empty();
        }
        return Optional.of(lastAddress());
    }

    /** Number of addresses in the prefix, 2^(bits - length). */
    public BigInteger size() {
        return BigInteger.ONE.shiftLeft(family.bitLength() - length);
    }

    /**
     * The address at {@code offset} from the network address.
     *
     * @throws IllegalArgumentException if the offset is negative or not below {@link #size()}
     */
    public InetAddress address(BigInteger offset) {
        if (offset.signum() < 0 || offset.compareTo(size()) >= 0) {
            throw new IllegalArgumentException("offset " + offset + " is outside " + this);
        }
        return IpAddresses.fromBigInteger(family, networkValue.add(offset));
    }

    /** The address at {@code offset} from the network address. */
    public InetAddress address(long offset) {
        return address(BigInteger.valueOf(offset));
    }

    /**
     * The offset of {@code address} from the network address.
     *
     * @throws IllegalArgumentException if the address is not in this prefix
     */
    public BigInteger offsetOf(InetAddress address) {
        if (!contains(address)) {
            throw new IllegalArgumentException(IpAddresses.format(address) + " is not in " + this);
        }
        return IpAddresses.toBigInteger(address).subtract(networkValue);
    }

    /** Whether {@code address} (of either family) is inside this prefix. */
    public boolean contains(InetAddress address) {
        byte[] bytes = address.getAddress();
        return bytes.length == network.length && Arrays.equals(mask(bytes, length), network);
    }

    /** Whether every address of {@code other} is inside this prefix. */
    public boolean contains(IpPrefix other) {
        return other.family == family && other.length >= length && contains(other.network());
    }

    /**
     * Offset of the first address that can be assigned to a host. That is 1 (after the network
     * address), except for IPv4 /31 (RFC 3021) and IPv6 /127 (RFC 6164) point-to-point prefixes and
     * single-address prefixes, where every address is usable and this is 0.
     */
    public BigInteger firstHostOffset() {
        return length >= family.bitLength() - 1 ? BigInteger.ZERO : BigInteger.ONE;
    }

    /**
     * Offset of the last address that can be assigned to a host: the one before the broadcast address
     * for IPv4 prefixes up to /30, otherwise the last address (IPv6 has no broadcast).
     */
    public BigInteger lastHostOffset() {
        BigInteger last = size().subtract(BigInteger.ONE);
        return broadcast().isPresent() ? last.subtract(BigInteger.ONE) : last;
    }

    @Override
    public int compareTo(IpPrefix other) {
        int byFamily = family.compareTo(other.family);
        if (byFamily != 0) {
            return byFamily;
        }
        int byNetwork = networkValue.compareTo(other.networkValue);
        return byNetwork != 0 ? byNetwork : Integer.compare(length, other.length);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof IpPrefix other && length == other.length && Arrays.equals(network, other.network);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(network) * 31 + length;
    }

    /** Canonical text: {@code 10.244.1.0/24}, {@code fd00:10:244:1::/64}. */
    @Override
    public String toString() {
        return IpAddresses.format(IpAddresses.fromBytes(network)) + "/" + length;
    }
}
