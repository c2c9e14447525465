package dev.jute.bgp;

/**
 * Hears best-route changes per prefix, for example to program kernel routes. Called on the
 * speaker's event loop in the order changes happen: implementations must not block (hand work to
 * another thread) and must not throw.
 */
public interface RouteListener {
    RouteListener NONE = new RouteListener() {
    };

    default void routeAdded(Route route) {
    }

    default void routeChanged(Route before, Route after) {
    }

    default void routeRemoved(Route route) {
    }
}
