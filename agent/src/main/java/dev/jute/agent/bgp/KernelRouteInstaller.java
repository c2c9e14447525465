package dev.jute.agent.bgp;

import dev.jute.agent.Log;
import dev.jute.bgp.Prefix;
import dev.jute.bgp.Route;
import dev.jute.bgp.RouteListener;
import dev.jute.dataplane.LibC;
import dev.jute.dataplane.NetlinkException;
import dev.jute.dataplane.RouteNetlink;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Keeps the kernel's routing table equal to the speaker's best routes learned from peers.
 *
 * <p>Threads: the speaker calls the {@link RouteListener} methods on its event loop, which must never
 * block; they only record the newest wanted state per prefix (so a burst of changes to one prefix costs
 * one kernel write) and wake the installer's own platform thread, which does every netlink call.
 *
 * <p>Ownership: the installer writes only routes with protocol jute and {@link KernelNextHop#METRIC}, and
 * deletes only those. Pod host routes (protocol jute, no gateway), the node's own pod CIDRs (a learned
 * prefix inside one is ignored, so a peer can never override a pod's route) and routes of other
 * daemons or the administrator are never touched.
 *
 * <p>Restart: routes of ours found in the kernel at start are <em>adopted</em>: they keep forwarding while
 * the sessions come back; a re-learned prefix is replaced in place (no gap), and those still unconfirmed
 * when {@link #settle()} is called (after the peers have sent their tables, or the graceful-restart time)
 * are removed.
 */
public final class KernelRouteInstaller implements RouteListener, AutoCloseable {

    private static final Log LOG = Log.of("bgp-routes");
    private static final long RETRY_MILLIS = 5_000;

    /** Marks a prefix whose route must go. */
    private static final Route REMOVE = null;

    private final RouteNetlink netlink;
    private final List<Prefix> ownPrefixes;
    private final NextHopResolver resolver;
    private final Thread worker;

    private final Object lock = new Object();
    /** Newest wanted state per prefix not yet applied; a null value means remove. Guarded by {@link #lock}. */
    private LinkedHashMap<Prefix, Route> pending = new LinkedHashMap<>();
    private boolean settleRequested;
    /** A batch is being written. Guarded by {@link #lock}. */
    private boolean busy;
    private volatile boolean closed;
    private final AtomicLong changes = new AtomicLong();

    /** What is in the kernel now, by prefix: written by the worker, read by status queries. */
    private final Map<Prefix, KernelNextHop> installed = new ConcurrentHashMap<>();
    /** Why a wanted prefix is not in the kernel. */
    private final Map<Prefix, String> failed = new ConcurrentHashMap<>();
    /** Worker only: the wanted routes of failed prefixes, retried periodically. */
    private final Map<Prefix, Route> retry = new HashMap<>();
    /** Worker only: adopted routes not re-learned yet. */
    private final Set<Prefix> unconfirmed = new HashSet<>();
    private volatile boolean settled;
    private final AtomicLong writes = new AtomicLong();
    private final AtomicLong errors = new AtomicLong();
    private volatile int adopted;
    private volatile int staleRemoved;

    private KernelRouteInstaller(RouteNetlink netlink, List<Prefix> ownPrefixes) {
        this.netlink = netlink;
        this.ownPrefixes = List.copyOf(ownPrefixes);
        this.resolver = new NextHopResolver(netlink);
        this.worker = Thread.ofPlatform().name("bgp-route-installer").daemon().unstarted(this::run);
    }

    /**
     * Adopts the routes of ours already in the kernel and starts the installer thread.
     *
     * @param netlink     acts in the node's namespace
     * @param ownPrefixes the node's pod CIDRs: never installed from BGP
     */
    public static KernelRouteInstaller start(RouteNetlink netlink, List<Prefix> ownPrefixes) {
        KernelRouteInstaller installer = new KernelRouteInstaller(netlink, ownPrefixes);
        installer.adoptExisting();
        installer.worker.start();
        return installer;
    }

    private void adoptExisting() {
        for (dev.jute.dataplane.Route route : netlink.routes(LibC.AF_UNSPEC)) {
            if (KernelNextHop.installedByBgp(route)) {
                Prefix prefix = Prefix.of(route.destination(), route.prefixLength());
                installed.put(prefix, KernelNextHop.of(route));
                unconfirmed.add(prefix);
            }
        }
        adopted = unconfirmed.size();
        settled = unconfirmed.isEmpty();
        if (!unconfirmed.isEmpty()) {
            LOG.info("adopted routes of the previous agent", "routes", unconfirmed.size());
        }
    }

    // ---------------------------------------------------------------- RouteListener (event loop)

    @Override
    public void routeAdded(Route route) {
        want(route.prefix(), route.local() ? REMOVE : route);
    }

    @Override
    public void routeChanged(Route before, Route after) {
        // Our own announcement winning over a learned route also means: no kernel route from BGP.
        want(after.prefix(), after.local() ? REMOVE : after);
    }

    @Override
    public void routeRemoved(Route route) {
        want(route.prefix(), REMOVE);
    }

    private void want(Prefix prefix, Route route) {
        changes.incrementAndGet();
        synchronized (lock) {
            pending.put(prefix, route);
            if (pending.size() == 1) {
                lock.notifyAll();
            }
        }
    }

    /**
     * Every peer has sent its table (or the graceful-restart time is over): adopted routes that BGP did not
     * confirm are removed. Returns at once; the removal happens on the installer thread.
     */
    public void settle() {
        synchronized (lock) {
            settleRequested = true;
            lock.notifyAll();
        }
    }

    // ---------------------------------------------------------------- installer thread

    private void run() {
        long nextRetry = System.currentTimeMillis() + RETRY_MILLIS;
        while (!closed) {
            Map<Prefix, Route> batch;
            boolean settleNow;
            try {
                synchronized (lock) {
                    while (pending.isEmpty() && !settleRequested && !closed
                           && (retry.isEmpty() || System.currentTimeMillis() < nextRetry)) {
                        lock.wait(retry.isEmpty() ? 0 : Math.max(1, nextRetry - System.currentTimeMillis()));
                    }
                    if (closed) {
                        return;
                    }
                    batch = pending;
                    pending = new LinkedHashMap<>();
                    settleNow = settleRequested;
                    settleRequested = false;
                    busy = true;
                }
            } catch (InterruptedException e) {
                return;
            }
            try {
                resolver.refresh();
                if (!retry.isEmpty() && System.currentTimeMillis() >= nextRetry) {
                    Map<Prefix, Route> again = new LinkedHashMap<>(retry);
                    again.putAll(batch);
                    batch = again;
                    nextRetry = System.currentTimeMillis() + RETRY_MILLIS;
                }
                for (Map.Entry<Prefix, Route> change : batch.entrySet()) {
                    apply(change.getKey(), change.getValue());
                }
                if (settleNow && !settled) {
                    removeUnconfirmed();
                }
                synchronized (lock) {
                    busy = false;
                }
            } catch (RuntimeException e) {
                // A broken netlink socket or the like: keep the batch for the next attempt, never die.
                errors.incrementAndGet();
                LOG.error("installing BGP routes failed; retrying", "error", e.toString());
                synchronized (lock) {
                    LinkedHashMap<Prefix, Route> merged = new LinkedHashMap<>(batch);
                    merged.putAll(pending);
                    pending = merged;
                    settleRequested |= settleNow;
                    busy = false;
                }
                sleep(RETRY_MILLIS);
            }
        }
    }

    private void apply(Prefix prefix, Route route) {
        retry.remove(prefix);
        if (route == REMOVE) {
            failed.remove(prefix);
            unconfirmed.remove(prefix);
            remove(prefix);
            return;
        }
        if (insideOwnPrefix(prefix)) {
            failed.put(prefix, "inside this node's pod CIDR: never installed");
            return;
        }
        NextHopResolver.Resolution resolution = resolver.resolve(route);
        if (resolution.nextHop() == null) {
            fail(prefix, route, resolution.problem());
            remove(prefix);
            return;
        }
        KernelNextHop next = resolution.nextHop();
        boolean wasAdopted = unconfirmed.remove(prefix);
        if (!wasAdopted && next.equals(installed.get(prefix))) {
            failed.remove(prefix);
            return;
        }
        try {
            // Replace in place: a changed next hop or an adopted route never leaves a gap.
            netlink.replaceRoute(next.toKernelRoute(prefix));
            writes.incrementAndGet();
            installed.put(prefix, next);
            failed.remove(prefix);
            LOG.debug("route installed", "prefix", prefix, "nexthop", next);
        } catch (NetlinkException e) {
            fail(prefix, route, e.getMessage());
        }
    }

    private void fail(Prefix prefix, Route route, String problem) {
        errors.incrementAndGet();
        retry.put(prefix, route);
        if (!problem.equals(failed.put(prefix, problem))) {
            LOG.warn("cannot install BGP route", "prefix", prefix, "nexthop", route.nextHop(), "error", problem);
        }
    }

    private void remove(Prefix prefix) {
        KernelNextHop old = installed.remove(prefix);
        if (old == null) {
            return;
        }
        try {
            netlink.deleteRouteIfExists(old.toKernelRoute(prefix));
            writes.incrementAndGet();
            LOG.debug("route removed", "prefix", prefix);
        } catch (NetlinkException e) {
            errors.incrementAndGet();
            LOG.warn("cannot remove BGP route", "prefix", prefix, "error", e.getMessage());
        }
    }

    private void removeUnconfirmed() {
        List<Prefix> stale = new ArrayList<>(unconfirmed);
        for (Prefix prefix : stale) {
            unconfirmed.remove(prefix);
            remove(prefix);
        }
        staleRemoved = stale.size();
        settled = true;
        LOG.info("BGP routes settled after start", "adopted", adopted, "confirmed", adopted - stale.size(),
                "removed", stale.size());
    }

    private boolean insideOwnPrefix(Prefix prefix) {
        for (Prefix own : ownPrefixes) {
            if (own.family() == prefix.family() && own.length() <= prefix.length()
                && new Prefix(prefix.family(), prefix.high(), prefix.low(), own.length()).equals(own)) {
                return true;
            }
        }
        return false;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---------------------------------------------------------------- status

    /** The kernel next hop of {@code prefix} if the installer put (or adopted) a route for it. */
    public KernelNextHop installed(Prefix prefix) {
        return installed.get(prefix);
    }

    /** Why {@code prefix} is wanted but not in the kernel, or null. */
    public String failure(Prefix prefix) {
        return failed.get(prefix);
    }

    public int installedCount() {
        return installed.size();
    }

    /** Whether the adopted routes of a previous agent have been confirmed or removed. */
    public boolean settled() {
        return settled;
    }

    public int adoptedCount() {
        return adopted;
    }

    public int staleRemovedCount() {
        return staleRemoved;
    }

    public long kernelWrites() {
        return writes.get();
    }

    /** How many best-route changes the speaker has reported: quiet means the tables have arrived. */
    public long changeCount() {
        return changes.get();
    }

    public long errorCount() {
        return errors.get();
    }

    /** Whether nothing is waiting to be written (tests and the benchmark wait for it). */
    public boolean idle() {
        synchronized (lock) {
            return pending.isEmpty() && !busy;
        }
    }

    /** Stops the installer thread; the routes stay in the kernel (forwarding continues across a restart). */
    @Override
    public void close() {
        closed = true;
        synchronized (lock) {
            lock.notifyAll();
        }
        worker.interrupt();
        try {
            worker.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
