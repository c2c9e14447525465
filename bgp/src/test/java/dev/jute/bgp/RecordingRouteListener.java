package dev.jute.bgp;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/** Test listener mirroring the best routes it hears about, as the kernel installer would. */
final class RecordingRouteListener implements RouteListener {
    final Map<Prefix, Route> routes = new ConcurrentHashMap<>();
    final AtomicInteger added = new AtomicInteger();
    final AtomicInteger changed = new AtomicInteger();
    final AtomicInteger removed = new AtomicInteger();

    @Override
    public void routeAdded(Route route) {
        if (routes.put(route.prefix(), route) != null) {
            throw new AssertionError("added twice: " + route);
        }
        added.incrementAndGet();
    }

    @Override
    public void routeChanged(Route before, Route after) {
        if (!before.equals(routes.put(after.prefix(), after))) {
            throw new AssertionError("change from unknown state: " + before);
        }
        changed.incrementAndGet();
    }

    @Override
    public void routeRemoved(Route route) {
        if (routes.remove(route.prefix()) == null) {
            throw new AssertionError("removed unknown: " + route);
        }
        removed.incrementAndGet();
    }

    static void await(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(5);
        }
    }
}
