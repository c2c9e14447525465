package dev.jute.cni;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;

/**
 * An IPv4 or IPv6 address parsed from its textual form without any name resolution, and printed
 * canonically (dotted quad; RFC 5952 for IPv6). Immutable.
 *
 * <p>Parsing is strict: IPv4 octets are decimal without leading zeros (a leading zero is read as
 * octal by some tools, so it is ambiguous), IPv6 zone indexes ("%eth0") are rejected.
 */
public final class IpAddress {
    private final byte[] bytes;

    private IpAddress(byte[] bytes) {
        this.bytes = bytes;
    }

    /** An address from its 4 (IPv4) or 16 (IPv6) network-order bytes. */
    public static IpAddress ofBytes(byte[] bytes) {
        if (bytes == null || (bytes.length != 4 && bytes.length != 16)) {
            throw new IllegalArgumentException("an IP address has 4 or 16 bytes");
        }
        return new IpAddress(bytes.clone());
    }

    /** Parses "192.0.2.1" or "2001:db8::1"; throws IllegalArgumentException with the reason. */
    public static IpAddress parse(String text) {
        if (text == null || text.isEmpty()) {
            throw new IllegalArgumentException("empty IP address");
        }
        byte[] b = text.indexOf(':') >= 0 ? parseV6(text) : parseV4(text, 0, text.length());
        if (b == null) {
            throw new IllegalArgumentException("invalid IP address \"" + text + "\"");
        }
        return new IpAddress(b);
    }

    /** Dotted quad in text[from, to), or null. */
    private static byte[] parseV4(String text, int from, int to) {
        byte[] out = new byte[4];
        int part = 0;
        int i = from;
        while (true) {
            int start = i;
            int value = 0;
            while (i < to && text.charAt(i) >= '0' && text.charAt(i) <= '9') {
                value = value * 10 + (text.charAt(i) - '0');
                if (value > 255) {
                    return null;
                }
                i++;
            }
            int digits = i - start;
            if (digits == 0 || (digits > 1 && text.charAt(start) == '0')) {
                return null;
            }
            out[part++] = (byte) value;
            if (part == 4) {
                return i == to ? out : null;
            }
            if (i >= to || text.charAt(i) != '.') {
                return null;
            }
            i++;
        }
    }

    private static byte[] parseV6(String text) {
        int n = text.length();
        int[] groups = new int[8];
        int count = 0;
        int gap = -1; // index in groups where "::" was seen
        int i = 0;
        if (text.startsWith("::")) {
            gap = 0;
            i = 2;
            if (i == n) {
                return new byte[16];
            }
        } else if (text.charAt(0) == ':') {
            return null;
        }
        byte[] tailV4 = null;
        while (i < n) {
            if (count == 8) {
                return null;
            }
            int start = i;
            int value = 0;
            while (i < n && i - start < 5) {
                int d = hexValue(text.charAt(i));
                if (d < 0) {
                    break;
                }
                value = (value << 4) | d;
                i++;
            }
            int digits = i - start;
            if (i < n && text.charAt(i) == '.') {
                // embedded IPv4 in the last 32 bits
                tailV4 = parseV4(text, start, n);
                if (tailV4 == null || count > 6) {
                    return null;
                }
                i = n;
                break;
            }
            if (digits == 0 || digits > 4) {
                return null;
            }
            groups[count++] = value;
            if (i == n) {
                break;
            }
            if (text.charAt(i) != ':') {
                return null;
            }
            i++;
            if (i < n && text.charAt(i) == ':') {
                if (gap >= 0) {
                    return null; // second "::"
                }
                gap = count;
                i++;
            } else if (i == n) {
                return null; // trailing single ':'
            }
        }
        int total = count + (tailV4 != null ? 2 : 0);
        if (gap < 0 ? total != 8 : total > 7) {
            return null;
        }
        byte[] out = new byte[16];
        int tailGroups = count - (gap < 0 ? count : gap);
        int headGroups = count - tailGroups;
        for (int g = 0; g < headGroups; g++) {
            out[2 * g] = (byte) (groups[g] >> 8);
            out[2 * g + 1] = (byte) groups[g];
        }
        int end = tailV4 != null ? 12 : 16;
        for (int g = 0; g < tailGroups; g++) {
            int at = end - 2 * (tailGroups - g);
            out[at] = (byte) (groups[headGroups + g] >> 8);
            out[at + 1] = (byte) groups[headGroups + g];
        }
        if (tailV4 != null) {
            System.arraycopy(tailV4, 0, out, 12, 4);
        }
        return out;
    }

    private static int hexValue(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        } else if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        } else if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }

    public boolean isIpv4() {
        return bytes.length == 4;
    }

    /** 32 or 128. */
    public int bitLength() {
        return bytes.length * 8;
    }

    /** "4" or "6", as 0.3.x/0.4.0 results write it. */
    public String familyVersion() {
        return isIpv4() ? "4" : "6";
    }

    /** A copy of the network-order bytes. */
    public byte[] toBytes() {
        return bytes.clone();
    }

    /** As an InetAddress (no name lookup happens). */
    public InetAddress toInetAddress() {
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException impossible) {
            throw new IllegalStateException(impossible);
        }
    }

    /** Canonical text: dotted quad, or RFC 5952 IPv6 (lower case, longest zero run as "::"). */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(39);
        if (isIpv4()) {
            appendV4(sb, 0);
            return sb.toString();
        }
        int[] g = new int[8];
        for (int i = 0; i < 8; i++) {
            g[i] = ((bytes[2 * i] & 0xff) << 8) | (bytes[2 * i + 1] & 0xff);
        }
        // RFC 5952 section 5: IPv4-mapped addresses keep the dotted quad.
        boolean mapped = g[0] == 0 && g[1] == 0 && g[2] == 0 && g[3] == 0 && g[4] == 0 && g[5] == 0xffff;
        int groups = mapped ? 6 : 8;
        int bestStart = -1;
        int bestLen = 1; // a single zero group is not compressed
        for (int i = 0; i < groups; ) {
            if (g[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < groups && g[j] == 0) {
                j++;
            }
            if (j - i > bestLen) {
                bestStart = i;
                bestLen = j - i;
            }
            i = j;
        }
        for (int i = 0; i < groups; i++) {
            if (i == bestStart) {
                sb.append("::");
                i += bestLen - 1;
                continue;
            }
            if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
                sb.append(':');
            }
            sb.append(Integer.toHexString(g[i]));
        }
        if (mapped) {
            if (sb.charAt(sb.length() - 1) != ':') {
                sb.append(':');
            }
            appendV4(sb, 12);
        }
        return sb.toString();
    }

    private void appendV4(StringBuilder sb, int offset) {
        for (int i = 0; i < 4; i++) {
            if (i > 0) {
                sb.append('.');
            }
            sb.append(bytes[offset + i] & 0xff);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof IpAddress other && Arrays.equals(bytes, other.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }
}
