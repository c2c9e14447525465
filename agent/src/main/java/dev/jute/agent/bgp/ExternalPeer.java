package dev.jute.agent.bgp;

import dev.jute.bgp.PeerConfig;

import java.net.InetAddress;
import java.util.Locale;

/**
 * A BGP neighbour outside the node mesh (a top-of-rack router, a route reflector), as given by
 * {@code --bgp-peer ADDR,AS[,password=SECRET][,multihop=N][,rr-client][,port=N][,passive]}.
 *
 * @param password   TCP MD5 key (RFC 2385), or null
 * @param multihop   how many hops away an eBGP neighbour may be (1 = directly connected). Jute's speaker does
 *                   not lower the TTL of its sessions (no single-hop TTL check, no GTSM), so any neighbour the
 *                   node can reach works; the value is validated and shown so a configuration written for
 *                   other daemons reads the same here
 * @param port       the neighbour's TCP port (179 unless a lab says otherwise)
 * @param passive    never connect, wait for the neighbour
 */
public record ExternalPeer(InetAddress address, long as, String password, int multihop, boolean routeReflectorClient,
                           int port, boolean passive) {

    public static final String SYNTAX = "ADDR,AS[,password=SECRET][,multihop=N][,rr-client][,port=N][,passive]";

    public ExternalPeer {
        if (as <= 0 || as > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("AS " + as + " is out of range 1..4294967295");
        }
        if (multihop < 1 || multihop > 255) {
            throw new IllegalArgumentException("multihop must be 1..255, not " + multihop);
        }
        if (password != null && (password.isEmpty() || password.length() > 80)) {
            throw new IllegalArgumentException("a TCP MD5 password has 1..80 characters");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " is out of range 1..65535");
        }
    }

    /** Parses the {@code --bgp-peer} value; errors name the offending part. */
    public static ExternalPeer parse(String text) {
        String[] parts = text.split(",", -1);
        if (parts.length < 2) {
            throw new IllegalArgumentException("--bgp-peer must be " + SYNTAX + ", not '" + text + "'");
        }
        InetAddress address = BgpOptions.ipLiteral(parts[0].strip(), "--bgp-peer address");
        long as = BgpOptions.asNumber(parts[1].strip(), "--bgp-peer AS");
        String password = null;
        int multihop = 1;
        boolean rrClient = false;
        boolean passive = false;
        int port = 179;
        for (int i = 2; i < parts.length; i++) {
            String part = parts[i];
            int eq = part.indexOf('=');
            String key = (eq < 0 ? part : part.substring(0, eq)).strip().toLowerCase(Locale.ROOT);
            String value = eq < 0 ? null : part.substring(eq + 1);
            switch (key) {
                case "password" -> password = require(value, key, text);
                case "multihop" -> multihop = number(require(value, key, text), key);
                case "port" -> port = number(require(value, key, text), key);
                case "rr-client" -> rrClient = flag(value, key);
                case "passive" -> passive = flag(value, key);
                default -> throw new IllegalArgumentException("unknown --bgp-peer setting '" + key + "' in '" + text
                                                              + "'; the syntax is " + SYNTAX);
            }
        }
        return new ExternalPeer(address, as, password, multihop, rrClient, port, passive);
    }

    /** The speaker's neighbour configuration; {@code localAs} decides whether a route-reflector client is valid. */
    public PeerConfig toPeerConfig(long localAs) {
        if (routeReflectorClient && as != localAs) {
            throw new IllegalArgumentException("peer " + BgpOptions.text(address) + " is AS" + as
                                               + ": only iBGP neighbours (AS" + localAs + ") can be route-reflector clients");
        }
        return PeerConfig.builder(address, as).password(password).routeReflectorClient(routeReflectorClient)
                .port(port).passive(passive).build();
    }

    private static String require(String value, String key, String text) {
        if (value == null || value.isEmpty()) {
            throw new IllegalArgumentException("--bgp-peer setting " + key + " needs a value in '" + text + "'");
        }
        return value;
    }

    private static boolean flag(String value, String key) {
        if (value != null) {
            throw new IllegalArgumentException("--bgp-peer setting " + key + " takes no value");
        }
        return true;
    }

    private static int number(String value, String key) {
        try {
            return Integer.parseInt(value.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--bgp-peer " + key + " must be a number, not '" + value + "'");
        }
    }

    @Override
    public String toString() {
        return BgpOptions.text(address) + " AS" + as + (password != null ? " md5" : "") + (multihop > 1 ? " multihop " + multihop : "")
               + (routeReflectorClient ? " rr-client" : "") + (port != 179 ? " port " + port : "") + (passive ? " passive" : "");
    }
}
