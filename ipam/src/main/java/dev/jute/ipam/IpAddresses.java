package dev.jute.ipam;

import java.math.BigInteger;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * Strict parsing and canonical formatting of IP address literals.
 *
 * <p>{@link InetAddress#getByName} is deliberately not used: it resolves host names (a DNS lookup for a
 * typo) and accepts lenient IPv4 forms such as {@code 10.1} or octal-looking {@code 010.0.0.1}.
 * Addresses in pod CIDRs, reserved lists and store file names must be exact, so only the dotted-quad
 * form is accepted for IPv4 (no leading zeros, as in Go's net.ParseIP) and only plain RFC 4291 text
 * (no zone, no brackets, no IPv4-mapped form) for IPv6. Output is canonical (RFC 5952 for IPv6), so a
 * given address always has exactly one textual form, which the file store relies on for file names.
 */
public final class IpAddresses {
    private IpAddresses() {
    }

    /**
     * Parses an IPv4 dotted-quad or IPv6 literal.
     *
     * @throws IllegalArgumentException with the offending text if it is not a valid literal
     */
    public static InetAddress parse(String text) {
        if (text == null || text.isEmpty()) {
            throw new IllegalArgumentException("empty IP address");
        }
        return text.indexOf(':') >= 0 ? parseIpv6(text) : parseIpv4(text);
    }

    private static InetAddress parseIpv4(String text) {
        byte[] bytes = new byte[4];
        String[] parts = text.split("\\.", -1);
        if (parts.length != 4) {
            throw invalid(text, "an IPv4 address has four dot-separated decimal numbers");
        }
        for (int i = 0; i < 4; i++) {
            String part = parts[i];
            if (part.isEmpty() || part.length() > 3 || !part.chars().allMatch(c -> c >= '0' && c <= '9')) {
                throw invalid(text, "'" + part + "' is not a decimal number 0-255");
            }
            if (part.length() > 1 && part.charAt(0) == '0') {
                throw invalid(text, "leading zero in '" + part + "' (ambiguous: octal or decimal)");
            }
            int value = Integer.parseInt(part);
            if (value > 255) {
                throw invalid(text, part + " is greater than 255");
            }
            bytes[i] = (byte) value;
        }
        return fromBytes(bytes);
    }

    private static InetAddress parseIpv6(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
            if (!hex && c != ':' && c != '.') {
                throw invalid(text, "unexpected character '" + c + "' (zones and brackets are not accepted)");
            }
        }
        InetAddress address;
        try {
            address = Inet6Address.ofLiteral(text);
        } catch (IllegalArgumentException e) {
            throw invalid(text, "not a valid IPv6 literal");
        }
        if (!(address instanceof Inet6Address)) {
            throw invalid(text, "IPv4-mapped IPv6 addresses are not accepted; write the IPv4 address");
        }
        return address;
    }

    private static IllegalArgumentException invalid(String text, String why) {
        return new IllegalArgumentException("invalid IP address '" + text + "': " + why);
    }

    /**
     * Canonical text: dotted quad for IPv4, RFC 5952 for IPv6 (lower case, no leading zeros, the
     * longest run of two or more zero groups shortened to {@code ::}, the first such run on a tie).
     */
    public static String format(InetAddress address) {
        byte[] bytes = address.getAddress();
        if (bytes.length == 4) {
            return (bytes[0] & 0xff) + "." + (bytes[1] & 0xff) + "." + (bytes[2] & 0xff) + "." + (bytes[3] & 0xff);
        }
        int[] groups = new int[8];
        for (int i = 0; i < 8; i++) {
            groups[i] = ((bytes[2 * i] & 0xff) << 8) | (bytes[2 * i + 1] & 0xff);
        }
        int bestStart = -1;
        int bestLength = 1; // a single zero group is never shortened (RFC 5952 section 4.2.2)
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
        StringBuilder text = new StringBuilder(39);
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                text.append("::");
                i += bestLength - 1;
                continue;
            }
            if (!text.isEmpty() && text.charAt(text.length() - 1) != ':') {
                text.append(':');
            }
            text.append(Integer.toHexString(groups[i]));
        }
        return text.toString();
    }

    /** The address as an unsigned integer. */
    static BigInteger toBigInteger(InetAddress address) {
        return new BigInteger(1, address.getAddress());
    }

    /** The address of the given family whose unsigned integer value is {@code value}. */
    static InetAddress fromBigInteger(IpFamily family, BigInteger value) {
        if (value.signum() < 0 || value.bitLength() > family.bitLength()) {
            throw new IllegalArgumentException(value + " is outside the " + family.label() + " address space");
        }
        byte[] raw = value.toByteArray();
        byte[] bytes = new byte[family.byteLength()];
        int copy = Math.min(raw.length, bytes.length);
        System.arraycopy(raw, raw.length - copy, bytes, bytes.length - copy, copy);
        return fromBytes(bytes);
    }

    static InetAddress fromBytes(byte[] bytes) {
        try {
            // With a 4- or 16-byte array neither call does a name lookup or fails. Inet6Address is asked
            // for explicitly because InetAddress.getByAddress turns IPv4-mapped IPv6 bytes into IPv4.
            return bytes.length == 16 ? Inet6Address.getByAddress(null, bytes, -1) : InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("address must be 4 or 16 bytes, got " + bytes.length, e);
        }
    }
}
