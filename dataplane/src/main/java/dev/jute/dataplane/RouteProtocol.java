package dev.jute.dataplane;

/**
 * Route protocol numbers ({@code rtm_protocol}): who installed a route. The kernel stores the number
 * and lets dumps and deletes filter on it.
 */
public final class RouteProtocol {
    public static final int UNSPEC = 0;
    /** Installed by the kernel itself (connected and local routes). */
    public static final int KERNEL = 2;
    /** The default of {@code ip route add}. */
    public static final int BOOT = 3;
    public static final int STATIC = 4;
    public static final int BIRD = 12;
    public static final int BGP = 186;
    /**
     * Jute's own number (not assigned in {@code /etc/iproute2/rt_protos}). Every route Jute installs
     * carries it, so Jute can find, reconcile and clean up exactly its own routes — after a crash or
     * an upgrade — without ever touching routes of the administrator or other daemons.
     */
    public static final int JUTE = 74;

    private RouteProtocol() {
    }
}
