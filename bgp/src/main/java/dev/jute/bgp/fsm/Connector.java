package dev.jute.bgp.fsm;

/**
 * Opens outbound connections for an FSM. The result is reported back on the FSM's thread through
 * {@link PeerFsm#outboundConnected} or {@link PeerFsm#outboundFailed}.
 */
public interface Connector {
    /** Starts connecting; the returned handle aborts the attempt. */
    Runnable connect(PeerFsm fsm);
}
