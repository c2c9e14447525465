package dev.jute.dataplane;

import java.net.InetAddress;

/**
 * A neighbour (ARP / NDP) table entry.
 *
 * @param mac   the link-layer address, or null while unresolved
 * @param state {@code NUD_*} bits, e.g. {@link #PERMANENT}
 */
public record Neighbour(int interfaceIndex, InetAddress address, MacAddress mac, int state) {

    public static final int REACHABLE = 0x02;
    public static final int STALE = 0x04;
    public static final int FAILED = 0x20;
    public static final int NOARP = 0x40;
    /** Static: never expires, never re-resolved. */
    public static final int PERMANENT = 0x80;

    public boolean isPermanent() {
        return (state & PERMANENT) != 0;
    }
}
