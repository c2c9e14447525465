package dev.jute.bgp.message;

import java.util.HexFormat;

/** Builds raw messages from hex fragments, the way RFC diagrams lay them out. */
final class Wire {
    private Wire() {
    }

    static byte[] hex(String h) {
        return HexFormat.of().parseHex(h.replace(" ", ""));
    }

    static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }

    static byte[] message(int type, String bodyHex) {
        byte[] body = hex(bodyHex);
        byte[] m = new byte[19 + body.length];
        java.util.Arrays.fill(m, 0, 16, (byte) 0xFF);
        m[16] = (byte) (m.length >>> 8);
        m[17] = (byte) m.length;
        m[18] = (byte) type;
        System.arraycopy(body, 0, m, 19, body.length);
        return m;
    }

    /** An UPDATE with the two length fields computed from the fragments. */
    static byte[] update(String withdrawnHex, String attributesHex, String nlriHex) {
        int wl = hex(withdrawnHex).length;
        int al = hex(attributesHex).length;
        return message(2, String.format("%04x", wl) + withdrawnHex + String.format("%04x", al) + attributesHex + nlriHex);
    }

    /** ORIGIN IGP, AS_PATH 65002 (2-octet), NEXT_HOP 192.0.2.1. */
    static final String BASIC_ATTRS_2OCTET = "40010100" + "40020402 01fdea" + "400304c0000201";
    /** ORIGIN IGP, AS_PATH 65002 (4-octet), NEXT_HOP 192.0.2.1. */
    static final String BASIC_ATTRS = "40010100" + "40020602 010000fdea" + "400304c0000201";
}
