package dev.jute.dataplane.bpf;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.Objects;

/**
 * An IPv4 or IPv6 prefix as the BPF maps store it: the network address with its host bits
 * cleared (two spellings of one network are equal) and a length of 0-32 or 0-128.
 */
public record IpPrefix(InetAddress address, int length) {

    public IpPrefix {
        Objects.requireNonNull(address, "address");
        int max = maxLength(address);
        if (length < 0 || length > max) {
            throw new IllegalArgumentException("prefix length " + length + " is outside 0-" + max + " for "
                                               + address.getHostAddress());
        }
        address = masked(address, length);
    }

    /** The host prefix of one address: /32 or /128. */
    public static IpPrefix host(InetAddress address) {
        return new IpPrefix(address, maxLength(address));
    }

    /**
     * Parses {@code address/length} or a bare address (a host prefix). Only numeric literals are
     * accepted; no name is ever resolved.
     */
    public static IpPrefix parse(String text) {
        Objects.requireNonNull(text, "text");
        int slash = text.indexOf('/');
        String addressText = slash < 0 ? text : text.substring(0, slash);
        if (addressText.isEmpty() || !addressText.chars().allMatch(c -> Character.digit(c, 16) >= 0 || c == '.' || c == ':')) {
            throw new IllegalArgumentException("'" + text + "' is not an IP prefix");
        }
        InetAddress address;
        try {
            // Only hex digits, dots and colons: InetAddress parses a literal and does no lookup.
            address = InetAddress.getByName(addressText);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("'" + text + "' is not an IP prefix: " + e.getMessage(), e);
        }
        if (slash < 0) {
            return host(address);
        }
        String lengthText = text.substring(slash + 1);
        if (lengthText.isEmpty() || lengthText.length() > 3 || !lengthText.chars().allMatch(Character::isDigit)) {
            throw new IllegalArgumentException("'" + text + "' has a bad prefix length");
        }
        return new IpPrefix(address, Integer.parseInt(lengthText));
    }

    public boolean isIpv4() {
        return address instanceof Inet4Address;
    }

    /** The family byte of the map keys: 4 or 6. */
    public int family() {
        return isIpv4() ? 4 : 6;
    }

    static int maxLength(InetAddress address) {
        return address instanceof Inet6Address ? 128 : 32;
    }

    static InetAddress masked(InetAddress address, int length) {
        byte[] bytes = address.getAddress();
        for (int bit = length; bit < bytes.length * 8; bit++) {
            bytes[bit / 8] &= (byte) ~(0x80 >>> (bit % 8));
        }
        if (Arrays.equals(bytes, address.getAddress()) && !(address instanceof Inet6Address v6 && v6.getScopeId() != 0)) {
            return address;
        }
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new AssertionError("4 or 16 bytes are always an address", e);
        }
    }

    @Override
    public String toString() {
        return address.getHostAddress() + "/" + length;
    }
}
