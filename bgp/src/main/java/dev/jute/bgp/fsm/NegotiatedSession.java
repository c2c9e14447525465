package dev.jute.bgp.fsm;

import dev.jute.bgp.AddressFamily;
import dev.jute.bgp.message.Capability;
import dev.jute.bgp.message.OpenMessage;

import java.net.InetSocketAddress;
import java.util.Set;

/**
 * What both OPEN messages agreed on.
 *
 * @param families address families both sides announced (IPv4 only when a side sent no MP capability)
 * @param peerGracefulRestart the peer's graceful restart capability, or {@code null}
 */
public record NegotiatedSession(long peerAs, long peerRouterId, int holdTimeSeconds, boolean fourOctetAs,
                                Set<AddressFamily> families, boolean peerRouteRefresh,
                                Capability.GracefulRestart peerGracefulRestart,
                                InetSocketAddress localAddress, InetSocketAddress remoteAddress,
                                OpenMessage peerOpen) {

    public NegotiatedSession {
        families = Set.copyOf(families);
    }

    public boolean gracefulRestart() {
        return peerGracefulRestart != null;
    }
}
