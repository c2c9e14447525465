package dev.jute.bgp.rib;

import java.lang.ref.WeakReference;
import java.util.WeakHashMap;

/**
 * Canonical instances of {@link RouteAttributes}: prefixes announced together share one object.
 * Weakly held, so attribute sets no route uses any more are collected. Single-threaded.
 */
public final class AttributeInterner {
    private final WeakHashMap<RouteAttributes, WeakReference<RouteAttributes>> pool = new WeakHashMap<>();

    public RouteAttributes intern(RouteAttributes attributes) {
        WeakReference<RouteAttributes> ref = pool.get(attributes);
        RouteAttributes existing = ref == null ? null : ref.get();
        if (existing != null) {
            return existing;
        }
        pool.put(attributes, new WeakReference<>(attributes));
        return attributes;
    }

    public int size() {
        return pool.size();
    }
}
