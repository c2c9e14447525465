package dev.jute.bgp.rib;

/** One candidate path for a prefix: its source and its (interned) attributes. */
public record Path(RouteSource source, RouteAttributes attributes) {
}
