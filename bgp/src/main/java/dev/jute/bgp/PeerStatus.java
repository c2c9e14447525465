package dev.jute.bgp;

import dev.jute.bgp.fsm.SessionState;

import java.net.InetAddress;
import java.time.Duration;
import java.util.Set;

/**
 * Snapshot of one neighbour for {@code jute bgp peers}.
 *
 * @param uptime time since the session became Established, or {@code null} when it is not
 * @param peerRouterId the neighbour's BGP identifier in dotted form, or {@code null} before the first OPEN
 * @param malformedAttributes UPDATEs with malformed attributes handled by treat-as-withdraw or attribute-discard (RFC 7606)
 * @param lastError last reason the session failed, or {@code null}
 */
public record PeerStatus(InetAddress address, long remoteAs, SessionState state, Duration uptime,
                         int prefixesReceived, int prefixesStale, int prefixesAdvertised, String peerRouterId,
                         Set<AddressFamily> families, long malformedAttributes, String lastError) {
}
