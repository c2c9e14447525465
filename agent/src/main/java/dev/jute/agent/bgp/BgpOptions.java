package dev.jute.agent.bgp;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The agent's BGP settings, from its command line ({@link Parser} takes the {@code --bgp-*} options out of
 * the agent's argument list). They matter only with {@code --routing bgp}.
 *
 * @param nodeIps          the node's own addresses, at most one per family: the IPv4 one is the router id
 *                         and the next hop of the IPv4 pod CIDR, the IPv6 one the next hop of the IPv6 pod CIDR
 * @param localAs          the node's AS (all nodes of a cluster share it: the mesh is iBGP)
 * @param routerId         an explicit router id, or null for the node's IPv4 address
 * @param mesh             peer with every other node (node-to-node full mesh); off for route-reflector set-ups
 * @param meshPeers        the other nodes, while the Kubernetes side does not feed them
 * @param externalPeers    routers outside the mesh
 * @param gracefulRestart  restart time advertised to peers (RFC 4724): how long they keep our routes while we restart
 * @param holdTime         BGP hold time
 * @param port             where the speaker listens (and the port mesh peers are connected on)
 * @param adminSocket      where {@code jute bgp ...} reaches the agent, or null for {@code admin.sock} beside the CNI socket
 * @param announceLoadBalancers announce the node's LoadBalancer addresses as /32 and /128 routes to the external peers
 *                         (default on; off with {@code --no-bgp-lb-announce}, e.g. when MetalLB announces them)
 */
public record BgpOptions(List<InetAddress> nodeIps, long localAs, Inet4Address routerId, boolean mesh,
                         List<InetAddress> meshPeers, List<ExternalPeer> externalPeers, Duration gracefulRestart,
                         Duration holdTime, int port, Path adminSocket, boolean announceLoadBalancers) {

    public static final long DEFAULT_AS = 64512;

    public static final String USAGE = """
              BGP (with --routing bgp; static mode needs --node-ip):
              --node-ip IP         this node's address; repeat once for the other family (router id = the IPv4 one)
              --bgp-as N           the cluster's AS (default 64512; the node mesh is iBGP)
              --bgp-router-id IP   router id (default: the IPv4 --node-ip)
              --bgp-mesh-peer IP   another node to peer with (repeatable)
              --no-bgp-mesh        no node-to-node mesh (route-reflector set-ups)
              --no-bgp-lb-announce do not announce LoadBalancer addresses (/32, /128) to the external peers
              --bgp-peer SPEC      an external peer: %s (repeatable)
              --bgp-graceful-restart-time S   how long peers keep our routes while we restart (default 120)
              --bgp-hold-time S    hold time (default 90)
              --bgp-port N         BGP port (default 179)
              --admin-socket PATH  the socket of `jute bgp peers|routes` (default: admin.sock beside --socket)
            """.formatted(ExternalPeer.SYNTAX);

    public BgpOptions {
        nodeIps = List.copyOf(nodeIps);
        meshPeers = List.copyOf(meshPeers);
        externalPeers = List.copyOf(externalPeers);
        if (nodeIps.stream().filter(ip -> ip instanceof Inet4Address).count() > 1
            || nodeIps.stream().filter(ip -> ip instanceof Inet6Address).count() > 1) {
            throw new IllegalArgumentException("--node-ip takes at most one address per family");
        }
        if (localAs <= 0 || localAs > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("--bgp-as " + localAs + " is out of range 1..4294967295");
        }
        if (holdTime.toSeconds() != 0 && holdTime.toSeconds() < 3) {
            throw new IllegalArgumentException("--bgp-hold-time must be 0 or at least 3 seconds (RFC 4271)");
        }
        if (gracefulRestart.isNegative() || gracefulRestart.toSeconds() > 4095) {
            throw new IllegalArgumentException("--bgp-graceful-restart-time must be 0..4095 seconds (RFC 4724)");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("--bgp-port " + port + " is out of range 1..65535");
        }
    }

    public static BgpOptions defaults() {
        return new Parser().build();
    }

    /** These options with the node's addresses set (Kubernetes mode: from the Node's InternalIPs). */
    public BgpOptions withNodeIps(List<InetAddress> addresses) {
        return new BgpOptions(addresses, localAs, routerId, mesh, meshPeers, externalPeers, gracefulRestart, holdTime, port,
                adminSocket, announceLoadBalancers);
    }

    /** LoadBalancer addresses are announced: asked for, and there is an external peer to tell. */
    public boolean announcesLoadBalancers() {
        return announceLoadBalancers && !externalPeers.isEmpty();
    }

    /** The node's IPv4 address, if it has one. */
    public java.util.Optional<InetAddress> nodeIpv4() {
        return nodeIps.stream().filter(ip -> ip instanceof Inet4Address).findFirst();
    }

    public java.util.Optional<InetAddress> nodeIpv6() {
        return nodeIps.stream().filter(ip -> ip instanceof Inet6Address).findFirst();
    }

    /** The admin socket for a CNI socket at {@code cniSocket}. */
    public Path adminSocket(Path cniSocket) {
        return adminSocket != null ? adminSocket : cniSocket.toAbsolutePath().resolveSibling("admin.sock");
    }

    /** Collects the BGP options while the agent's own parser walks its arguments. */
    public static final class Parser {
        private final List<InetAddress> nodeIps = new ArrayList<>();
        private long localAs = DEFAULT_AS;
        private Inet4Address routerId;
        private boolean mesh = true;
        private final List<InetAddress> meshPeers = new ArrayList<>();
        private final List<ExternalPeer> externalPeers = new ArrayList<>();
        private Duration gracefulRestart = Duration.ofSeconds(120);
        private Duration holdTime = Duration.ofSeconds(90);
        private int port = 179;
        private Path adminSocket;
        private boolean announceLoadBalancers = true;

        /**
         * Takes the option at {@code args[index]} if it is one of ours.
         *
         * @return how many arguments it used (1 or 2), or 0 when the option is not a BGP option
         */
        public int accept(List<String> args, int index) {
            String option = args.get(index);
            switch (option) {
                case "--no-bgp-mesh" -> {
                    mesh = false;
                    return 1;
                }
                case "--no-bgp-lb-announce" -> {
                    announceLoadBalancers = false;
                    return 1;
                }
                case "--node-ip", "--bgp-as", "--bgp-router-id", "--bgp-mesh-peer", "--bgp-peer",
                     "--bgp-graceful-restart-time", "--bgp-hold-time", "--bgp-port", "--admin-socket" -> {
                    if (index + 1 >= args.size()) {
                        throw new IllegalArgumentException(option + " needs a value");
                    }
                    apply(option, args.get(index + 1));
                    return 2;
                }
                default -> {
                    return 0;
                }
            }
        }

        private void apply(String option, String value) {
            switch (option) {
                case "--node-ip" -> nodeIps.add(ipLiteral(value, option));
                case "--bgp-as" -> localAs = asNumber(value, option);
                case "--bgp-router-id" -> {
                    if (!(ipLiteral(value, option) instanceof Inet4Address v4)) {
                        throw new IllegalArgumentException("--bgp-router-id must be an IPv4 address, not " + value);
                    }
                    routerId = v4;
                }
                case "--bgp-mesh-peer" -> meshPeers.add(ipLiteral(value, option));
                case "--bgp-peer" -> externalPeers.add(ExternalPeer.parse(value));
                case "--bgp-graceful-restart-time" -> gracefulRestart = Duration.ofSeconds(seconds(value, option));
                case "--bgp-hold-time" -> holdTime = Duration.ofSeconds(seconds(value, option));
                case "--bgp-port" -> port = (int) seconds(value, option);
                case "--admin-socket" -> adminSocket = Path.of(value);
                default -> throw new IllegalStateException(option);
            }
        }

        public BgpOptions build() {
            return new BgpOptions(nodeIps, localAs, routerId, mesh, meshPeers, externalPeers, gracefulRestart, holdTime,
                    port, adminSocket, announceLoadBalancers);
        }
    }

    private static long seconds(String value, String option) {
        try {
            long n = Long.parseLong(value.strip());
            if (n < 0) {
                throw new IllegalArgumentException(option + " must not be negative");
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " must be a number, not '" + value + "'");
        }
    }

    /** An AS number, plain ({@code 4200000000}) or in asdot notation ({@code 64086.59904}). */
    static long asNumber(String text, String what) {
        try {
            int dot = text.indexOf('.');
            long as = dot < 0 ? Long.parseLong(text)
                    : Long.parseLong(text.substring(0, dot)) * 65536 + Long.parseLong(text.substring(dot + 1));
            if (as <= 0 || as > 0xFFFF_FFFFL || (dot >= 0 && Long.parseLong(text.substring(dot + 1)) > 65535)) {
                throw new NumberFormatException();
            }
            return as;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(what + " must be an AS number 1..4294967295, not '" + text + "'");
        }
    }

    /** An IP address literal: never a host name (no DNS look-ups while parsing options). */
    static InetAddress ipLiteral(String text, String what) {
        if (text.isEmpty() || !text.matches("[0-9A-Fa-f:.]+") || !(text.contains(".") || text.contains(":"))) {
            throw new IllegalArgumentException(what + " must be an IP address, not '" + text + "'");
        }
        try {
            return InetAddress.getByName(text);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(what + " must be an IP address, not '" + text + "'");
        }
    }

    static String text(InetAddress address) {
        return dev.jute.dataplane.AddressText.of(address);
    }
}
