package dev.jute.agent.k8s;

import dev.jute.agent.Log;
import dev.jute.dataplane.LibC;
import dev.jute.dataplane.NetlinkException;
import dev.jute.dataplane.Route;
import dev.jute.dataplane.RouteNetlink;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@link RoutingMode#DIRECT} routing: keeps the kernel's routes to the other nodes' pod CIDRs equal to
 * {@link DirectRoutes#plan} of the informer's Nodes. Converges on a thread of its own whenever the
 * cluster changes (events are coalesced: a burst causes one pass), and retries after a kernel error.
 *
 * <p>Ownership: only routes that are {@link DirectRoutes#isOurs ours} (protocol jute, main table, with a
 * next hop) are ever changed or removed; pod host routes (jute, no next hop) and everything installed by
 * anyone else are left alone. Adding comes before removing, so a node whose InternalIP changes is never
 * unroutable in between.
 */
public final class NodeRouteSync implements AutoCloseable {

    private static final Log LOG = Log.of("routes");
    private static final long RETRY_MILLIS = 2_000;

    private final String selfName;
    private final ClusterCache cache;
    private final RouteNetlink netlink;
    private final Thread worker;
    private final Object signal = new Object();
    private boolean dirty = true;
    private volatile boolean closed;
    private volatile boolean converged;
    private volatile int installed;
    private final AtomicLong passes = new AtomicLong();
    private final AtomicLong errors = new AtomicLong();
    private Set<String> lastProblems = Set.of();

    private NodeRouteSync(String selfName, ClusterCache cache, RouteNetlink netlink) {
        this.selfName = selfName;
        this.cache = cache;
        this.netlink = netlink;
        this.worker = Thread.ofPlatform().name("node-route-sync").daemon().unstarted(this::run);
    }

    /** Starts converging; {@code netlink} must act in the node's namespace (the agent's own). */
    public static NodeRouteSync start(String selfName, ClusterCache cache, RouteNetlink netlink) {
        NodeRouteSync sync = new NodeRouteSync(selfName, cache, netlink);
        cache.onChange(sync::requestSync);
        sync.worker.start();
        return sync;
    }

    private void requestSync() {
        synchronized (signal) {
            dirty = true;
            signal.notifyAll();
        }
    }

    private void run() {
        while (!closed) {
            try {
                synchronized (signal) {
                    while (!dirty && !closed) {
                        signal.wait();
                    }
                    dirty = false;
                }
                if (closed) {
                    return;
                }
                if (!cache.synced()) {
                    // A partial node list would make us delete routes of nodes not listed yet. Look
                    // again shortly: the informers' own sync is not always followed by an event.
                    Thread.sleep(100);
                    requestSync();
                    continue;
                }
                convergeOnce();
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                errors.incrementAndGet();
                converged = false;
                LOG.error("route sync failed, retrying", "error", e.toString());
                sleepQuietly();
                requestSync();
            }
        }
    }

    /** One pass: compute, read the kernel, add/replace what is missing, remove what is stale. */
    void convergeOnce() {
        DirectRoutes.Plan plan = DirectRoutes.plan(selfName, cache.nodes().stream().map(NodeInfo::of).toList());
        Set<String> problems = new HashSet<>(plan.problems());
        if (!problems.equals(lastProblems)) {
            problems.forEach(p -> LOG.warn("node not routable", "problem", p));
            lastProblems = problems;
        }
        Map<DirectRoutes.Key, Route> actual = new HashMap<>();
        for (Route route : netlink.routes(LibC.AF_UNSPEC)) {
            if (DirectRoutes.isOurs(route)) {
                actual.put(DirectRoutes.Key.of(route), route);
            }
        }
        Set<DirectRoutes.Key> desired = new HashSet<>(plan.routes());
        int changes = 0;
        for (DirectRoutes.Key key : plan.routes()) {
            if (!actual.containsKey(key)) {
                // replace: an older route of ours to the same CIDR via another next hop is swapped in place.
                netlink.replaceRoute(key.toRoute());
                LOG.info("route added", "route", key);
                changes++;
            }
        }
        for (Map.Entry<DirectRoutes.Key, Route> entry : actual.entrySet()) {
            if (!desired.contains(entry.getKey())) {
                try {
                    if (netlink.deleteRouteIfExists(entry.getValue())) {
                        LOG.info("route removed", "route", entry.getKey());
                        changes++;
                    }
                } catch (NetlinkException e) {
                    throw new IllegalStateException("cannot remove route " + entry.getKey() + ": " + e.getMessage(), e);
                }
            }
        }
        installed = plan.routes().size();
        converged = true;
        passes.incrementAndGet();
        if (changes > 0) {
            LOG.debug("routes converged", "routes", installed, "changes", changes);
        }
    }

    private static void sleepQuietly() {
        try {
            Thread.sleep(RETRY_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Whether the last pass succeeded (the kernel matches the cluster as of that pass). */
    public boolean converged() {
        return converged;
    }

    /** Whether the converging thread still runs (it only ends on {@link #close()}). */
    public boolean alive() {
        return worker.isAlive();
    }

    public int installedRoutes() {
        return installed;
    }

    public long passes() {
        return passes.get();
    }

    public long errors() {
        return errors.get();
    }

    /** The routes of ours currently in the kernel, for diagnostics and tests. */
    public List<Route> kernelRoutes() {
        return netlink.routes(LibC.AF_UNSPEC).stream().filter(DirectRoutes::isOurs).toList();
    }

    /** Stops converging; the routes stay (traffic keeps flowing while the agent restarts). */
    @Override
    public void close() {
        closed = true;
        synchronized (signal) {
            signal.notifyAll();
        }
        worker.interrupt();
    }
}
