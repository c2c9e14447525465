package dev.jute.policy;

import java.util.Objects;

/**
 * One row of an endpoint's compiled policy for one direction: traffic with a remote side matching
 * {@code peer}, protocol matching {@code protocol} and a port inside {@code ports} is allowed. The
 * shape of the dataplane's policy map key (DESIGN.md §3): (endpoint, direction, peer, protocol,
 * port prefix). For {@link ProtocolMatch#ANY} the port prefix is always {@link PortPrefix#ALL}.
 */
public record AllowEntry(EntryPeer peer, ProtocolMatch protocol, PortPrefix ports) implements Comparable<AllowEntry> {

    public AllowEntry {
        Objects.requireNonNull(peer, "peer");
        Objects.requireNonNull(protocol, "protocol");
        Objects.requireNonNull(ports, "ports");
        if (protocol == ProtocolMatch.ANY && !ports.equals(PortPrefix.ALL)) {
            throw new IllegalArgumentException("an entry for every protocol cannot restrict ports");
        }
    }

    /** Whether a connection's protocol and port fall under this entry (the peer is checked by the caller). */
    public boolean matchesPort(Protocol connectionProtocol, int port) {
        return protocol.matches(connectionProtocol) && ports.matches(port);
    }

    @Override
    public int compareTo(AllowEntry other) {
        int byPeer = peer.compareTo(other.peer);
        if (byPeer != 0) {
            return byPeer;
        }
        int byProtocol = protocol.compareTo(other.protocol);
        return byProtocol != 0 ? byProtocol : ports.compareTo(other.ports);
    }

    @Override
    public String toString() {
        return peer + " " + (protocol == ProtocolMatch.ANY ? "any" : ports + "/" + protocol);
    }
}
