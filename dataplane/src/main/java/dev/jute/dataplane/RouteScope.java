package dev.jute.dataplane;

/** Route and address scopes ({@code rtm_scope}, {@code ifa_scope}). */
public final class RouteScope {
    /** Reachable through a gateway or anywhere. */
    public static final int UNIVERSE = 0;
    /** Directly attached: on the link, no gateway. */
    public static final int LINK = 253;
    public static final int HOST = 254;
    /** In a delete request: match any scope. */
    public static final int NOWHERE = 255;

    private RouteScope() {
    }
}
