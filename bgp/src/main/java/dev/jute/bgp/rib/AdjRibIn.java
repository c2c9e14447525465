package dev.jute.bgp.rib;

import dev.jute.bgp.AddressFamily;
import dev.jute.bgp.Prefix;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Routes accepted from one peer. During a graceful restart (RFC 4724) the routes of the previous
 * session move to a stale set; routes the peer re-announces leave it, and whatever is left when
 * End-of-RIB arrives or the restart timer fires is flushed.
 */
public final class AdjRibIn {
    private final Map<Prefix, RouteAttributes> routes = new HashMap<>();
    private final Map<Prefix, RouteAttributes> stale = new HashMap<>();

    /** Stores a route; returns true when it changed anything. */
    public boolean put(Prefix prefix, RouteAttributes attributes) {
        stale.remove(prefix);
        return routes.put(prefix, attributes) != attributes;
    }

    /** Removes a route (fresh or stale); returns true when there was one. */
    public boolean remove(Prefix prefix) {
        boolean removed = routes.remove(prefix) != null;
        return stale.remove(prefix) != null || removed;
    }

    public RouteAttributes get(Prefix prefix) {
        RouteAttributes a = routes.get(prefix);
        return a != null ? a : stale.get(prefix);
    }

    public boolean isStale(Prefix prefix) {
        return stale.containsKey(prefix);
    }

    /** Session went down gracefully: keep every route, marked stale. */
    public void markAllStale() {
        stale.putAll(routes);
        routes.clear();
    }

    /** Drops the stale routes of one family and returns their prefixes. */
    public List<Prefix> flushStale(AddressFamily family) {
        List<Prefix> out = new ArrayList<>();
        stale.keySet().removeIf(p -> {
            if (p.family() == family) {
                out.add(p);
                return true;
            }
            return false;
        });
        return out;
    }

    /** Drops every route, fresh and stale, and returns their prefixes. */
    public List<Prefix> clear() {
        List<Prefix> out = new ArrayList<>(routes.keySet());
        out.addAll(stale.keySet());
        routes.clear();
        stale.clear();
        return out;
    }

    public int size() {
        return routes.size() + stale.size();
    }

    public int staleCount() {
        return stale.size();
    }
}
