package dev.jute.bgp;

import dev.jute.bgp.fsm.NegotiatedSession;
import dev.jute.bgp.fsm.PeerFsm;
import dev.jute.bgp.fsm.Timers;
import dev.jute.bgp.rib.AdjRibIn;
import dev.jute.bgp.rib.AdjRibOut;
import dev.jute.bgp.rib.ExportTarget;
import dev.jute.bgp.rib.RouteSource;
import dev.jute.bgp.rib.UpdatePacker;

/** Everything the speaker keeps for one neighbour. Owned by the event loop. */
final class PeerContext {
    final PeerConfig config;
    PeerFsm fsm;
    final AdjRibIn adjRibIn = new AdjRibIn();
    final AdjRibOut adjRibOut = new AdjRibOut();
    /** Set while Established. */
    NegotiatedSession session;
    RouteSource source;
    ExportTarget target;
    UpdatePacker packer;
    /** Flushes stale routes if the peer does not come back in time (RFC 4724 §4.2). */
    Timers.Timer restartTimer;
    String lastRouteError;
    /** Malformed-attribute events (RFC 7606) since the peer was added, and the count when the session began. */
    long attributeErrors;
    long attributeErrorsAtSessionStart;

    PeerContext(PeerConfig config) {
        this.config = config;
    }

    boolean established() {
        return session != null;
    }
}
