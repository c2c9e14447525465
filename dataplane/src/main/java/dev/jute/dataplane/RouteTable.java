package dev.jute.dataplane;

/** Well-known routing table ids. */
public final class RouteTable {
    public static final int UNSPEC = 0;
    public static final int MAIN = 254;
    public static final int LOCAL = 255;

    private RouteTable() {
    }
}
