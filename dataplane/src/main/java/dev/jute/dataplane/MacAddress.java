package dev.jute.dataplane;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * A link-layer address. Usually six bytes (Ethernet), but links report other lengths (none for
 * some tunnels, 4 for ipip, 20 for InfiniBand), so any length is accepted from the kernel.
 */
public final class MacAddress {

    private static final HexFormat COLON_HEX = HexFormat.ofDelimiter(":");

    private final byte[] bytes;

    private MacAddress(byte[] bytes) {
        this.bytes = bytes;
    }

    public static MacAddress of(byte[] bytes) {
        if (bytes.length == 0) {
            throw new IllegalArgumentException("empty link-layer address");
        }
        return new MacAddress(bytes.clone());
    }

    /** Parses {@code aa:bb:cc:dd:ee:ff} (case-insensitive; any number of octets). */
    public static MacAddress parse(String text) {
        try {
            byte[] bytes = COLON_HEX.parseHex(text);
            if (bytes.length == 0) {
                throw new IllegalArgumentException("empty");
            }
            return new MacAddress(bytes);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not a link-layer address: \"" + text + "\"", e);
        }
    }

    public byte[] bytes() {
        return bytes.clone();
    }

    public int length() {
        return bytes.length;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof MacAddress mac && Arrays.equals(bytes, mac.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return COLON_HEX.formatHex(bytes);
    }
}
