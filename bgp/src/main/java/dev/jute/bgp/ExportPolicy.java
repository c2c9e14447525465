package dev.jute.bgp;

import dev.jute.bgp.rib.RouteAttributes;

/**
 * Pluggable export filter, applied after the built-in iBGP/eBGP rules. Runs on the speaker's event
 * loop, so it must be fast and must not block.
 */
@FunctionalInterface
public interface ExportPolicy {
    ExportPolicy ACCEPT_ALL = (peer, prefix, attributes) -> attributes;

    /** The attributes to send to {@code peer}, possibly modified, or {@code null} to not advertise. */
    RouteAttributes export(PeerConfig peer, Prefix prefix, RouteAttributes attributes);
}
