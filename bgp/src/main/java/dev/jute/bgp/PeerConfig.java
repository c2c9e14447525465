package dev.jute.bgp;

import java.net.InetAddress;
import java.util.Objects;

/**
 * One configured neighbour.
 *
 * @param remoteAddress the neighbour's address; passive peers are matched on it
 * @param remoteAs the neighbour's AS (equal to the local AS for iBGP)
 * @param port TCP port to connect to (179 normally; tests use ephemeral ports)
 * @param passive never connect, only accept the neighbour's connection
 * @param password TCP MD5 signature key (RFC 2385), or {@code null}
 * @param routeReflectorClient this iBGP neighbour is a route-reflector client (RFC 4456)
 * @param localAddress source address for outgoing connections and default next-hop-self, or {@code null}
 * @param ipv4NextHop next hop to announce as "ourselves" for IPv4 routes instead of the session's local address, or {@code null}
 * @param ipv6NextHop next hop to announce as "ourselves" for IPv6 routes (needed when the session runs over IPv4), or {@code null}
 * @param extraPrepends how many additional times the local AS is prepended towards this eBGP neighbour
 */
public record PeerConfig(InetAddress remoteAddress, long remoteAs, int port, boolean passive, String password,
                         boolean routeReflectorClient, InetAddress localAddress, InetAddress ipv4NextHop,
                         InetAddress ipv6NextHop, int extraPrepends) {

    public PeerConfig {
        Objects.requireNonNull(remoteAddress, "remoteAddress");
        if (remoteAs <= 0 || remoteAs > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("remote AS " + remoteAs + " out of range 1..4294967295");
        }
        if (port <= 0 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " out of range");
        }
        if (password != null && (password.isEmpty() || password.length() > 80)) {
            throw new IllegalArgumentException("TCP MD5 password must have 1..80 characters");
        }
        if (extraPrepends < 0 || extraPrepends > 10) {
            throw new IllegalArgumentException("extra prepends must be 0..10");
        }
        if (ipv4NextHop != null && ipv4NextHop.getAddress().length != 4) {
            throw new IllegalArgumentException("ipv4NextHop must be an IPv4 address");
        }
        if (ipv6NextHop != null && ipv6NextHop.getAddress().length != 16) {
            throw new IllegalArgumentException("ipv6NextHop must be an IPv6 address");
        }
    }

    public static Builder builder(InetAddress remoteAddress, long remoteAs) {
        return new Builder(remoteAddress, remoteAs);
    }

    public static final class Builder {
        private final InetAddress remoteAddress;
        private final long remoteAs;
        private int port = 179;
        private boolean passive;
        private String password;
        private boolean routeReflectorClient;
        private InetAddress localAddress;
        private InetAddress ipv4NextHop;
        private InetAddress ipv6NextHop;
        private int extraPrepends;

        private Builder(InetAddress remoteAddress, long remoteAs) {
            this.remoteAddress = remoteAddress;
            this.remoteAs = remoteAs;
        }

        public Builder port(int port) {
            this.port = port;
            return this;
        }

        public Builder passive(boolean passive) {
            this.passive = passive;
            return this;
        }

        public Builder password(String password) {
            this.password = password;
            return this;
        }

        public Builder routeReflectorClient(boolean client) {
            this.routeReflectorClient = client;
            return this;
        }

        public Builder localAddress(InetAddress localAddress) {
            this.localAddress = localAddress;
            return this;
        }

        public Builder ipv4NextHop(InetAddress ipv4NextHop) {
            this.ipv4NextHop = ipv4NextHop;
            return this;
        }

        public Builder ipv6NextHop(InetAddress ipv6NextHop) {
            this.ipv6NextHop = ipv6NextHop;
            return this;
        }

        public Builder extraPrepends(int extraPrepends) {
            this.extraPrepends = extraPrepends;
            return this;
        }

        public PeerConfig build() {
            return new PeerConfig(remoteAddress, remoteAs, port, passive, password, routeReflectorClient,
                    localAddress, ipv4NextHop, ipv6NextHop, extraPrepends);
        }
    }
}
