package dev.jute.policy;

import java.net.InetAddress;

/**
 * The lookup the BPF programs perform, written in Java over a {@link DesiredState}: the executable
 * specification of how the dataplane must use the compiled entries, and what tests compare with
 * the {@link PolicyEvaluator}.
 *
 * <p>For one direction of one endpoint: if it is not isolated, pass. Otherwise look the remote
 * address up in the ipcache (miss: {@link IdentityAllocator#WORLD}) and pass if an entry for
 * {@link EntryPeer.Any} or for that identity matches the protocol and port; else find the
 * <em>longest</em> CIDR entry prefix containing the remote address and pass if one of that prefix's
 * entries matches. Everything else drops.
 */
public final class DesiredStateLookup {

    private DesiredStateLookup() {
    }

    /** Egress of the source (if it is a pod) AND ingress of the destination (if it is a pod). */
    public static boolean allowed(DesiredState state, Party source, Party destination, int port, Protocol protocol) {
        return directionAllows(state, source, Direction.EGRESS, destination, port, protocol)
                && directionAllows(state, destination, Direction.INGRESS, source, port, protocol);
    }

    private static boolean directionAllows(DesiredState state, Party subject, Direction direction, Party remote,
                                           int port, Protocol protocol) {
        if (!(subject instanceof Endpoint pod)) {
            return true;
        }
        EndpointRules rules = state.endpoints().get(pod.ref());
        if (rules == null) {
            throw new IllegalArgumentException("endpoint " + pod.ref() + " is not in the desired state");
        }
        return allows(state, rules.rules(direction), addressOf(remote), port, protocol);
    }

    /**
     * One direction's verdict for a remote address.
     *
     * @param remoteAddress the address of the other side; null when it has none, which matches only {@link EntryPeer.Any}
     */
    public static boolean allows(DesiredState state, DirectionRules rules, InetAddress remoteAddress, int port,
                                 Protocol protocol) {
        if (!rules.isolated()) {
            return true;
        }
        int remoteIdentity = remoteAddress == null ? IdentityAllocator.WORLD
                : state.ipcache().getOrDefault(IpCidr.host(remoteAddress), IdentityAllocator.WORLD);
        IpCidr longest = null;
        for (AllowEntry entry : rules.entries()) {
            switch (entry.peer()) {
                case EntryPeer.Any any -> {
                    if (entry.matchesPort(protocol, port)) {
                        return true;
                    }
                }
                case EntryPeer.Identity identity -> {
                    if (identity.identity() == remoteIdentity && entry.matchesPort(protocol, port)) {
                        return true;
                    }
                }
                case EntryPeer.Cidr cidr -> {
                    if (remoteAddress != null && cidr.cidr().contains(remoteAddress)
                            && (longest == null || cidr.cidr().prefixLength() > longest.prefixLength())) {
                        longest = cidr.cidr();
                    }
                }
            }
        }
        if (longest == null) {
            return false;
        }
        EntryPeer longestPeer = new EntryPeer.Cidr(longest);
        for (AllowEntry entry : rules.entries()) {
            if (entry.peer().equals(longestPeer) && entry.matchesPort(protocol, port)) {
                return true;
            }
        }
        return false;
    }

    private static InetAddress addressOf(Party party) {
        return switch (party) {
            case ExternalAddress external -> external.address();
            case Endpoint pod -> pod.primaryIp().orElse(null);
        };
    }
}
