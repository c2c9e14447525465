package dev.jute.policy;

import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * One ingress or egress rule. An empty (or absent) peer list matches every remote side; an empty
 * (or absent) port list matches every port of every protocol. The rule allows a connection when
 * some peer AND some port match.
 */
public record PolicyRule(List<PeerSelector> peers, List<PortMatch> ports) {

    /** The rule {@code {}}: allows everything. */
    public static final PolicyRule ALLOW_ALL = new PolicyRule(List.of(), List.of());

    public PolicyRule {
        peers = peers == null ? List.of() : List.copyOf(peers);
        ports = ports == null ? List.of() : List.copyOf(ports);
    }

    public boolean matchesAllPeers() {
        return peers.isEmpty();
    }

    public boolean matchesAllPorts() {
        return ports.isEmpty();
    }

    /**
     * @param remote      the other side of the connection (the source for ingress, the destination for egress)
     * @param destination the side whose named ports count (the selected pod for ingress, the remote for egress)
     */
    public boolean allows(Party remote, Party destination, int port, Protocol protocol, String policyNamespace,
                          Function<String, Map<String, String>> namespaceLabels) {
        return matchesPeer(remote, policyNamespace, namespaceLabels) && matchesPort(protocol, port, destination);
    }

    public boolean matchesPeer(Party remote, String policyNamespace,
                               Function<String, Map<String, String>> namespaceLabels) {
        if (peers.isEmpty()) {
            return true;
        }
        for (PeerSelector peer : peers) {
            if (peer.matches(remote, policyNamespace, namespaceLabels)) {
                return true;
            }
        }
        return false;
    }

    public boolean matchesPort(Protocol protocol, int port, Party destination) {
        if (ports.isEmpty()) {
            return true;
        }
        for (PortMatch match : ports) {
            if (match.matches(protocol, port, destination)) {
                return true;
            }
        }
        return false;
    }
}
