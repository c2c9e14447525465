package dev.jute.bgp.fsm;

import dev.jute.bgp.message.RouteRefreshMessage;
import dev.jute.bgp.message.UpdateMessage;

/** What the RIB side hears from an FSM; called on the FSM's thread. */
public interface SessionListener {
    void established(PeerFsm fsm, NegotiatedSession session);

    void updateReceived(PeerFsm fsm, UpdateMessage update);

    void routeRefreshReceived(PeerFsm fsm, RouteRefreshMessage refresh);

    /**
     * The established session ended. {@code graceful} is true when the peer's routes may be kept
     * as stale (RFC 4724): the TCP connection dropped without a NOTIFICATION and the peer had
     * advertised graceful restart.
     */
    void sessionDown(PeerFsm fsm, NegotiatedSession session, boolean graceful);

    default void stateChanged(PeerFsm fsm, SessionState from, SessionState to) {
    }
}
