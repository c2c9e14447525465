package dev.jute.policy;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;

/**
 * An IPv4 or IPv6 prefix. The network address is always stored with its host bits cleared, so two
 * spellings of one network ({@code 10.0.0.1/8}, {@code 10.0.0.0/8}) are equal.
 */
public final class IpCidr implements Comparable<IpCidr> {

    private final byte[] network;
    private final int prefixLength;

    private IpCidr(byte[] network, int prefixLength) {
        this.network = network;
        this.prefixLength = prefixLength;
    }

    /** The prefix containing {@code address}, with host bits cleared. */
    public static IpCidr of(InetAddress address, int prefixLength) {
        byte[] bytes = address.getAddress();
        if (prefixLength < 0 || prefixLength > bytes.length * 8) {
            throw new IllegalArgumentException("prefix length " + prefixLength + " is outside 0-" + bytes.length * 8
                    + " for " + address.getHostAddress());
        }
        return new IpCidr(mask(bytes, prefixLength), prefixLength);
    }

    /** The host prefix of one address: /32 for IPv4, /128 for IPv6. */
    public static IpCidr host(InetAddress address) {
        return of(address, address.getAddress().length * 8);
    }

    /**
     * Parses {@code address/length}. Host bits may be set (the API server has long accepted
     * {@code 10.0.0.1/8}); they are cleared. Hostnames are never resolved.
     *
     * @throws IllegalArgumentException with a message fit for a user when the text is not a CIDR
     */
    public static IpCidr parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("empty CIDR");
        }
        int slash = text.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("'" + text + "' is not a CIDR: missing /prefix-length");
        }
        InetAddress address = parseLiteral(text.substring(0, slash), text);
        String lengthText = text.substring(slash + 1);
        int maxLength = address.getAddress().length * 8;
        int length;
        if (lengthText.isEmpty() || lengthText.length() > 3 || !lengthText.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new IllegalArgumentException("'" + text + "' is not a CIDR: bad prefix length '" + lengthText + "'");
        }
        length = Integer.parseInt(lengthText);
        if (length > maxLength) {
            throw new IllegalArgumentException("'" + text + "' is not a CIDR: prefix length " + length + " exceeds " + maxLength);
        }
        return of(address, length);
    }

    /** Parses a numeric IPv4 or IPv6 literal without ever consulting DNS. */
    public static InetAddress parseAddress(String text) {
        return parseLiteral(text, text);
    }

    private static InetAddress parseLiteral(String literal, String whole) {
        if (literal.isEmpty()) {
            throw new IllegalArgumentException("'" + whole + "': empty address");
        }
        boolean ipv4Shape = literal.chars().allMatch(c -> (c >= '0' && c <= '9') || c == '.');
        boolean ipv6Shape = literal.indexOf(':') >= 0
                && literal.chars().allMatch(c -> Character.digit(c, 16) >= 0 || c == ':' || c == '.');
        if (ipv4Shape) {
            String[] parts = literal.split("\\.", -1);
            if (parts.length != 4) {
                throw new IllegalArgumentException("'" + whole + "': '" + literal + "' is not an IPv4 address");
            }
            byte[] bytes = new byte[4];
            for (int i = 0; i < 4; i++) {
                String part = parts[i];
                // Leading zeros are rejected as Go's net.ParseIP (and so the API server) does.
                if (part.isEmpty() || part.length() > 3 || (part.length() > 1 && part.charAt(0) == '0')) {
                    throw new IllegalArgumentException("'" + whole + "': '" + literal + "' is not an IPv4 address");
                }
                int value = Integer.parseInt(part);
                if (value > 255) {
                    throw new IllegalArgumentException("'" + whole + "': '" + literal + "' is not an IPv4 address");
                }
                bytes[i] = (byte) value;
            }
            return byAddress(bytes);
        }
        if (ipv6Shape) {
            try {
                // With only hex digits, ':' and '.', InetAddress parses a literal and never resolves.
                InetAddress address = InetAddress.getByName(literal);
                if (address instanceof Inet6Address || address instanceof Inet4Address) {
                    return address;
                }
            } catch (UnknownHostException e) {
                // fall through to the error below
            }
        }
        throw new IllegalArgumentException("'" + whole + "': '" + literal + "' is not an IP address");
    }

    private static InetAddress byAddress(byte[] bytes) {
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new IllegalStateException("a 4 or 16 byte array is always an address", e);
        }
    }

    private static byte[] mask(byte[] bytes, int prefixLength) {
        byte[] masked = bytes.clone();
        for (int bit = prefixLength; bit < masked.length * 8; bit++) {
            masked[bit / 8] &= (byte) ~(0x80 >>> (bit % 8));
        }
        return masked;
    }

    public InetAddress network() {
        return byAddress(network);
    }

    public int prefixLength() {
        return prefixLength;
    }

    public boolean isIpv4() {
        return network.length == 4;
    }

    /** The number of address bits of this family (32 or 128). */
    public int addressBits() {
        return network.length * 8;
    }

    public boolean contains(InetAddress address) {
        byte[] bytes = address.getAddress();
        return bytes.length == network.length && equalsPrefix(network, bytes, prefixLength);
    }

    /** True when every address of {@code other} is in this prefix (a prefix contains itself). */
    public boolean contains(IpCidr other) {
        return other.network.length == network.length && other.prefixLength >= prefixLength
                && equalsPrefix(network, other.network, prefixLength);
    }

    /** True when the two prefixes share at least one address; for prefixes that means one contains the other. */
    public boolean overlaps(IpCidr other) {
        return contains(other) || other.contains(this);
    }

    /** The two halves of this prefix; a host prefix cannot be split. */
    public List<IpCidr> halves() {
        if (prefixLength == addressBits()) {
            throw new IllegalStateException(this + " is a host prefix");
        }
        byte[] upper = network.clone();
        upper[prefixLength / 8] |= (byte) (0x80 >>> (prefixLength % 8));
        return List.of(new IpCidr(network, prefixLength + 1), new IpCidr(upper, prefixLength + 1));
    }

    /**
     * This prefix minus every prefix in {@code excluded}, as the fewest disjoint prefixes: an ipBlock
     * {@code cidr} with {@code except} becomes plain prefixes a longest-prefix-match table can hold.
     */
    public List<IpCidr> subtract(Collection<IpCidr> excluded) {
        List<IpCidr> result = new ArrayList<>();
        subtractInto(this, List.copyOf(excluded), result);
        return result;
    }

    private static void subtractInto(IpCidr block, List<IpCidr> excluded, List<IpCidr> result) {
        List<IpCidr> inside = new ArrayList<>();
        for (IpCidr exclusion : excluded) {
            if (exclusion.contains(block)) {
                return;
            }
            if (block.contains(exclusion)) {
                inside.add(exclusion);
            }
        }
        if (inside.isEmpty()) {
            result.add(block);
            return;
        }
        for (IpCidr half : block.halves()) {
            subtractInto(half, inside, result);
        }
    }

    @Override
    public int compareTo(IpCidr other) {
        if (network.length != other.network.length) {
            return Integer.compare(network.length, other.network.length);
        }
        int byNetwork = Arrays.compareUnsigned(network, other.network);
        return byNetwork != 0 ? byNetwork : Integer.compare(prefixLength, other.prefixLength);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof IpCidr other && prefixLength == other.prefixLength
                && Arrays.equals(network, other.network);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(network) + prefixLength;
    }

    @Override
    public String toString() {
        return format(network()) + "/" + prefixLength;
    }

    /** An address in its canonical text form: dotted quad, or RFC 5952 for IPv6 ({@code fd00::1}). */
    public static String format(InetAddress address) {
        byte[] bytes = address.getAddress();
        if (bytes.length == 4) {
            return address.getHostAddress();
        }
        int[] groups = new int[8];
        for (int i = 0; i < 8; i++) {
            groups[i] = ((bytes[2 * i] & 0xff) << 8) | (bytes[2 * i + 1] & 0xff);
        }
        // The longest run of two or more zero groups (the first one on a tie) becomes "::".
        int bestStart = -1;
        int bestLength = 1;
        for (int i = 0; i < 8; ) {
            if (groups[i] != 0) {
                i++;
                continue;
            }
            int start = i;
            while (i < 8 && groups[i] == 0) {
                i++;
            }
            if (i - start > bestLength) {
                bestStart = start;
                bestLength = i - start;
            }
        }
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                text.append("::");
                i += bestLength - 1;
                continue;
            }
            if (text.length() > 0 && text.charAt(text.length() - 1) != ':') {
                text.append(':');
            }
            text.append(Integer.toHexString(groups[i]));
        }
        return text.toString();
    }

    /** Whether the first {@code bits} bits of two equal-length byte arrays agree. */
    private static boolean equalsPrefix(byte[] a, byte[] b, int bits) {
        int fullBytes = bits / 8;
        for (int i = 0; i < fullBytes; i++) {
            if (a[i] != b[i]) {
                return false;
            }
        }
        int rest = bits % 8;
        if (rest == 0) {
            return true;
        }
        int maskByte = (0xff << (8 - rest)) & 0xff;
        return (a[fullBytes] & maskByte) == (b[fullBytes] & maskByte);
    }
}
