package dev.jute.bgp;

import dev.jute.bgp.fsm.NegotiatedSession;
import dev.jute.bgp.fsm.PeerFsm;
import dev.jute.bgp.fsm.SessionListener;
import dev.jute.bgp.fsm.SpeakerSettings;
import dev.jute.bgp.fsm.Timers;
import dev.jute.bgp.message.Capability;
import dev.jute.bgp.message.PathAttribute;
import dev.jute.bgp.message.RouteRefreshMessage;
import dev.jute.bgp.message.UpdateMessage;
import dev.jute.bgp.rib.AttributeInterner;
import dev.jute.bgp.rib.ExportRules;
import dev.jute.bgp.rib.ExportTarget;
import dev.jute.bgp.rib.LocRib;
import dev.jute.bgp.rib.Path;
import dev.jute.bgp.rib.RouteAttributes;
import dev.jute.bgp.rib.RouteSource;
import dev.jute.bgp.rib.UpdatePacker;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Connects sessions to the RIBs: imports UPDATEs into Adj-RIB-In and Loc-RIB, runs the export
 * rules for every best-path change, sends the resulting UPDATEs, and handles graceful restart and
 * route refresh. Everything runs on one thread (the speaker's event loop).
 */
final class RibManager implements SessionListener {
    private static final Logger LOG = Logger.getLogger(RibManager.class.getName());

    private final SpeakerSettings settings;
    private final long clusterId;
    private final ExportRules exportRules;
    private final ExportPolicy exportPolicy;
    private final RouteListener routeListener;
    private final Timers timers;
    private final Executor deferred;
    private final AttributeInterner interner = new AttributeInterner();
    private final LocRib locRib = new LocRib();
    private final Map<PeerFsm, PeerContext> peers = new IdentityHashMap<>();
    private boolean flushScheduled;
    private boolean listenerMuted;
    /** End-of-RIB waits for {@link #releaseEndOfRib}: own routes are still to come (see {@link #holdEndOfRib}). */
    private boolean endOfRibHeld;
    private Timers.Timer endOfRibLimit;

    /** @param deferred runs the coalesced UPDATE flush after the current burst of work */
    RibManager(SpeakerSettings settings, long clusterId, ExportPolicy exportPolicy, RouteListener routeListener,
               Timers timers, Executor deferred) {
        this.settings = settings;
        this.clusterId = clusterId;
        this.exportRules = new ExportRules(settings.localAs(), clusterId);
        this.exportPolicy = exportPolicy;
        this.routeListener = routeListener;
        this.timers = timers;
        this.deferred = deferred;
    }

    LocRib locRib() {
        return locRib;
    }

    AttributeInterner interner() {
        return interner;
    }

    /**
     * Stops reporting route changes: when the speaker stops for a restart, the learned routes must
     * stay in the kernel (forwarding is preserved across the restart, RFC 4724).
     */
    void muteListener() {
        listenerMuted = true;
    }

    void register(PeerContext ctx) {
        peers.put(ctx.fsm, ctx);
    }

    /** The peer was removed from configuration: its routes go away. */
    void unregister(PeerContext ctx) {
        peers.remove(ctx.fsm);
        cancelRestartTimer(ctx);
        for (Prefix p : ctx.adjRibIn.clear()) {
            propagate(locRib.remove(p, ctx.source));
        }
        scheduleFlush();
    }

    /**
     * Holds End-of-RIB back from every session until {@link #releaseEndOfRib}, or at the latest for
     * {@code limit}. RFC 4724 §4.1: a restarting speaker sends End-of-RIB once its routes are complete;
     * a peer that kept our routes as stale drops those we have not sent again by then. Some of a node's
     * own routes (LoadBalancer addresses) are known only after its first Service pass, a moment after the
     * sessions come up.
     */
    void holdEndOfRib(Duration limit) {
        endOfRibHeld = true;
        endOfRibLimit = timers.schedule(limit, () -> {
            if (endOfRibHeld) {
                LOG.warning(() -> "own routes not complete after " + limit.toSeconds() + "s: sending End-of-RIB anyway");
                releaseEndOfRib();
            }
        });
    }

    /** Own routes are complete: End-of-RIB to every established session that waited for it. Idempotent. */
    void releaseEndOfRib() {
        if (!endOfRibHeld) {
            return;
        }
        endOfRibHeld = false;
        if (endOfRibLimit != null) {
            endOfRibLimit.cancel();
            endOfRibLimit = null;
        }
        for (PeerContext ctx : peers.values()) {
            if (ctx.session != null) {
                flushPeer(ctx); // the updates go before the marker that says they are complete
                sendEndOfRib(ctx.fsm, ctx.session);
            }
        }
    }

    private static void sendEndOfRib(PeerFsm fsm, NegotiatedSession session) {
        for (AddressFamily family : AddressFamily.values()) {
            if (session.families().contains(family)) {
                fsm.send(UpdateMessage.endOfRib(family));
            }
        }
    }

    // ---------------------------------------------------------------- local routes

    void announce(Prefix prefix, RouteAttributes attributes) {
        propagate(locRib.put(prefix, new Path(RouteSource.LOCAL, interner.intern(attributes))));
        scheduleFlush();
    }

    void withdraw(Prefix prefix) {
        propagate(locRib.remove(prefix, RouteSource.LOCAL));
        scheduleFlush();
    }

    // ---------------------------------------------------------------- session events

    @Override
    public void established(PeerFsm fsm, NegotiatedSession session) {
        PeerContext ctx = peers.get(fsm);
        if (ctx == null) {
            return;
        }
        ctx.session = session;
        ctx.attributeErrorsAtSessionStart = ctx.attributeErrors;
        RouteSource source = new RouteSource(ctx.config.remoteAddress(), session.peerAs(), session.peerRouterId(),
                fsm.internal(), ctx.config.routeReflectorClient());
        if (ctx.source != null && !ctx.source.equals(source)) {
            // The peer came back as a different router: its stale paths cannot be matched any more.
            for (Prefix p : ctx.adjRibIn.clear()) {
                propagate(locRib.remove(p, ctx.source));
            }
        }
        ctx.source = source;
        ctx.target = new ExportTarget(ctx.config, ctx.source, fsm.internal(),
                selfNextHop(ctx, AddressFamily.IPV4, session.localAddress()),
                selfNextHop(ctx, AddressFamily.IPV6, session.localAddress()));
        ctx.packer = new UpdatePacker(session.fourOctetAs());
        resolveStaleAfterRestart(ctx, session);
        locRib.forEachBest((prefix, best) -> {
            if (session.families().contains(prefix.family())) {
                ctx.adjRibOut.update(prefix, exportFor(ctx, prefix, best));
            }
        });
        flushPeer(ctx);
        // RFC 4724 §2: End-of-RIB after the initial update for every family (later, when own routes are held).
        if (!endOfRibHeld) {
            sendEndOfRib(fsm, session);
        }
    }

    /** Re-established after a graceful restart: flush what the peer could not keep (RFC 4724 §4.2). */
    private void resolveStaleAfterRestart(PeerContext ctx, NegotiatedSession session) {
        if (ctx.adjRibIn.staleCount() == 0) {
            cancelRestartTimer(ctx);
            return;
        }
        Capability.GracefulRestart gr = session.peerGracefulRestart();
        for (AddressFamily family : AddressFamily.values()) {
            boolean preserved = false;
            if (gr != null && session.families().contains(family)) {
                for (Capability.GracefulRestart.Family f : gr.families()) {
                    if (f.afi() == family.afi() && f.safi() == AddressFamily.SAFI_UNICAST && f.forwardingPreserved()) {
                        preserved = true;
                    }
                }
            }
            if (!preserved) {
                flushStale(ctx, family);
            }
        }
        cancelRestartTimer(ctx);
        if (ctx.adjRibIn.staleCount() > 0) {
            // Wait for End-of-RIB, but not forever.
            Duration limit = Duration.ofSeconds(Math.max(1, gr.restartTime()));
            ctx.restartTimer = timers.schedule(limit, () -> flushAllStale(ctx));
        }
    }

    @Override
    public void sessionDown(PeerFsm fsm, NegotiatedSession session, boolean graceful) {
        PeerContext ctx = peers.get(fsm);
        if (ctx == null) {
            return;
        }
        ctx.session = null;
        ctx.target = null;
        ctx.adjRibOut.clear();
        if (graceful && ctx.adjRibIn.size() > 0) {
            ctx.adjRibIn.markAllStale();
            cancelRestartTimer(ctx);
            int restartTime = Math.max(1, session.peerGracefulRestart().restartTime());
            ctx.restartTimer = timers.schedule(Duration.ofSeconds(restartTime), () -> flushAllStale(ctx));
            LOG.info(() -> "BGP peer " + ctx.config.remoteAddress().getHostAddress() + " restarting; keeping "
                    + ctx.adjRibIn.staleCount() + " routes stale for up to " + restartTime + "s");
            return;
        }
        for (Prefix p : ctx.adjRibIn.clear()) {
            propagate(locRib.remove(p, ctx.source));
        }
        scheduleFlush();
    }

    private void flushAllStale(PeerContext ctx) {
        ctx.restartTimer = null;
        for (AddressFamily family : AddressFamily.values()) {
            flushStale(ctx, family);
        }
    }

    private void flushStale(PeerContext ctx, AddressFamily family) {
        List<Prefix> gone = ctx.adjRibIn.flushStale(family);
        for (Prefix p : gone) {
            propagate(locRib.remove(p, ctx.source));
        }
        if (!gone.isEmpty()) {
            scheduleFlush();
        }
        if (ctx.adjRibIn.staleCount() == 0) {
            cancelRestartTimer(ctx);
        }
    }

    private void cancelRestartTimer(PeerContext ctx) {
        if (ctx.restartTimer != null) {
            ctx.restartTimer.cancel();
            ctx.restartTimer = null;
        }
    }

    @Override
    public void routeRefreshReceived(PeerFsm fsm, RouteRefreshMessage refresh) {
        PeerContext ctx = peers.get(fsm);
        AddressFamily family = AddressFamily.fromAfiSafi(refresh.afi(), refresh.safi());
        if (ctx == null || !ctx.established() || family == null || refresh.subtype() != 0) {
            return; // RFC 2918 §4: ignore refreshes for families not negotiated
        }
        ctx.adjRibOut.clear();
        locRib.forEachBest((prefix, best) -> {
            if (ctx.session.families().contains(prefix.family())) {
                ctx.adjRibOut.update(prefix, exportFor(ctx, prefix, best));
            }
        });
        flushPeer(ctx);
    }

    @Override
    public void updateReceived(PeerFsm fsm, UpdateMessage update) {
        PeerContext ctx = peers.get(fsm);
        if (ctx == null || !ctx.established()) {
            return;
        }
        AddressFamily endOfRib = update.endOfRibFamily();
        if (endOfRib != null) {
            flushStale(ctx, endOfRib);
            return;
        }
        for (UpdateMessage.AttributeError e : update.errors()) {
            ctx.lastRouteError = e.action() + ": " + e.reason();
            // A broken peer may send thousands of these: warn once per session, count the rest.
            Level level = ctx.attributeErrors++ == ctx.attributeErrorsAtSessionStart ? Level.WARNING : Level.FINE;
            LOG.log(level, () -> "BGP peer " + ctx.config.remoteAddress().getHostAddress() + ": "
                    + e.reason() + " (" + e.action() + "; further errors this session are logged at FINE)");
        }
        for (Prefix p : update.allWithdrawn()) {
            withdrawFromPeer(ctx, p);
        }
        if (update.treatAsWithdraw()) {
            for (Prefix p : update.allAnnounced()) {
                withdrawFromPeer(ctx, p);
            }
            scheduleFlush();
            return;
        }
        if (!update.nlri().isEmpty()) {
            PathAttribute.NextHop nh = update.attribute(PathAttribute.NextHop.class);
            importRoutes(ctx, update, update.nlri(), NextHop.of(ipv4(nh.address())));
        }
        PathAttribute.MpReach reach = update.attribute(PathAttribute.MpReach.class);
        if (reach != null && !reach.nlri().isEmpty()) {
            importRoutes(ctx, update, reach.nlri(), mpNextHop(reach.nextHop()));
        }
        scheduleFlush();
    }

    private void importRoutes(PeerContext ctx, UpdateMessage update, List<Prefix> prefixes, NextHop nextHop) {
        AddressFamily family = prefixes.get(0).family();
        if (!ctx.session.families().contains(family)) {
            return; // never negotiated: ignore rather than trust it
        }
        RouteAttributes attributes = RouteAttributes.fromWire(update.attributes(), ctx.session.fourOctetAs(), nextHop);
        if (!ctx.fsm.internal() && attributes.localPref() >= 0) {
            // RFC 7606 §7.5: LOCAL_PREF from an external peer is discarded.
            attributes = attributes.withLocalPref(-1);
        }
        String rejection = importRejection(ctx, attributes);
        if (rejection != null) {
            for (Prefix p : prefixes) {
                withdrawFromPeer(ctx, p);
            }
            return;
        }
        attributes = interner.intern(attributes);
        Path path = new Path(ctx.source, attributes);
        for (Prefix p : prefixes) {
            ctx.adjRibIn.put(p, attributes);
            propagate(locRib.put(p, path));
        }
    }

    /** Loop detection: own AS in the path, our own reflected route, or our cluster in CLUSTER_LIST. */
    private String importRejection(PeerContext ctx, RouteAttributes a) {
        if (a.asPath().contains(settings.localAs())) {
            return "own AS in AS_PATH";
        }
        if (a.originatorId() == settings.routerId()) {
            return "ORIGINATOR_ID is our router id";
        }
        if (a.clusterList().contains((int) clusterId)) {
            return "own cluster id in CLUSTER_LIST";
        }
        return null;
    }

    private void withdrawFromPeer(PeerContext ctx, Prefix p) {
        if (ctx.adjRibIn.remove(p)) {
            propagate(locRib.remove(p, ctx.source));
        }
    }

    // ---------------------------------------------------------------- export

    private void propagate(LocRib.BestChange change) {
        if (change == null) {
            return;
        }
        notifyListener(change);
        for (PeerContext ctx : peers.values()) {
            if (ctx.established() && ctx.session.families().contains(change.prefix().family())) {
                ctx.adjRibOut.update(change.prefix(), change.after() == null ? null : exportFor(ctx, change.prefix(), change.after()));
            }
        }
    }

    private RouteAttributes exportFor(PeerContext ctx, Prefix prefix, Path best) {
        RouteAttributes a = exportRules.export(prefix, best, ctx.target);
        if (a == null) {
            return null;
        }
        a = exportPolicy.export(ctx.config, prefix, a);
        return a == null ? null : interner.intern(a);
    }

    private void notifyListener(LocRib.BestChange change) {
        if (listenerMuted) {
            return;
        }
        try {
            if (change.before() == null) {
                routeListener.routeAdded(toRoute(change.prefix(), change.after()));
            } else if (change.after() == null) {
                routeListener.routeRemoved(toRoute(change.prefix(), change.before()));
            } else {
                routeListener.routeChanged(toRoute(change.prefix(), change.before()), toRoute(change.prefix(), change.after()));
            }
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "route listener failed for " + change.prefix(), e);
        }
    }

    static Route toRoute(Prefix prefix, Path path) {
        RouteSource s = path.source();
        return new Route(prefix, path.attributes().nextHop(), path.attributes(), s.local() ? null : s.address(),
                s.local() ? 0 : s.peerAs());
    }

    private void scheduleFlush() {
        if (!flushScheduled) {
            flushScheduled = true;
            deferred.execute(this::flushAll);
        }
    }

    void flushAll() {
        flushScheduled = false;
        for (PeerContext ctx : peers.values()) {
            if (ctx.established()) {
                flushPeer(ctx);
            }
        }
    }

    private void flushPeer(PeerContext ctx) {
        if (!ctx.adjRibOut.hasPending()) {
            return;
        }
        Set<Prefix> withdrawals = ctx.adjRibOut.takeWithdrawals();
        Map<Prefix, RouteAttributes> announcements = ctx.adjRibOut.takeAnnouncements();
        for (AddressFamily family : AddressFamily.values()) {
            List<Prefix> w = new ArrayList<>();
            for (Prefix p : withdrawals) {
                if (p.family() == family) {
                    w.add(p);
                }
            }
            ctx.packer.withdrawals(family, w).forEach(ctx.fsm::send);
            Map<Prefix, RouteAttributes> a = new java.util.LinkedHashMap<>();
            announcements.forEach((p, attrs) -> {
                if (p.family() == family) {
                    a.put(p, attrs);
                }
            });
            ctx.packer.announcements(family, a).forEach(ctx.fsm::send);
        }
    }

    // ---------------------------------------------------------------- next hops

    private static NextHop selfNextHop(PeerContext ctx, AddressFamily family, InetSocketAddress local) {
        InetAddress configured = family == AddressFamily.IPV4 ? ctx.config.ipv4NextHop() : ctx.config.ipv6NextHop();
        if (configured != null) {
            return NextHop.of(configured);
        }
        InetAddress sessionAddress = local == null ? null : local.getAddress();
        if (ctx.config.localAddress() != null && family.addressBytes() == ctx.config.localAddress().getAddress().length) {
            return NextHop.of(ctx.config.localAddress());
        }
        if (sessionAddress != null && sessionAddress.getAddress().length == family.addressBytes()) {
            return NextHop.of(sessionAddress);
        }
        if (family == AddressFamily.IPV6 && sessionAddress != null) {
            return NextHop.of(address(ipv4Mapped(sessionAddress.getAddress())));
        }
        return null;
    }

    private static byte[] ipv4Mapped(byte[] v4) {
        byte[] b = new byte[16];
        b[10] = (byte) 0xFF;
        b[11] = (byte) 0xFF;
        System.arraycopy(v4, 0, b, 12, 4);
        return b;
    }

    private static InetAddress address(byte[] b) {
        try {
            // getByAddress would turn an IPv4-mapped address into an Inet4Address; keep it IPv6.
            return b.length == 16 ? java.net.Inet6Address.getByAddress(null, b, -1) : InetAddress.getByAddress(b);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    private static InetAddress ipv4(int v) {
        return address(new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v});
    }

    private static NextHop mpNextHop(byte[] bytes) {
        if (bytes.length == 4) {
            return NextHop.of(address(bytes));
        }
        InetAddress global = address(java.util.Arrays.copyOf(bytes, 16));
        InetAddress linkLocal = bytes.length == 32 ? address(java.util.Arrays.copyOfRange(bytes, 16, 32)) : null;
        return new NextHop(global, linkLocal);
    }

    // ---------------------------------------------------------------- status

    PeerStatus status(PeerContext ctx) {
        PeerFsm fsm = ctx.fsm;
        NegotiatedSession s = fsm.session();
        Duration uptime = s == null ? null : Duration.ofMillis(timers.nowMillis() - fsm.establishedAtMillis());
        String lastError = fsm.lastError() != null ? fsm.lastError() : ctx.lastRouteError;
        return new PeerStatus(ctx.config.remoteAddress(), ctx.config.remoteAs(), fsm.state(), uptime,
                ctx.adjRibIn.size(), ctx.adjRibIn.staleCount(), ctx.adjRibOut.advertisedCount(),
                s == null ? null : dotted(s.peerRouterId()), s == null ? Set.of() : s.families(),
                ctx.attributeErrors, lastError);
    }

    static String dotted(long id) {
        return (id >>> 24 & 0xFF) + "." + (id >>> 16 & 0xFF) + "." + (id >>> 8 & 0xFF) + "." + (id & 0xFF);
    }
}
