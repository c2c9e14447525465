package dev.jute.dataplane;

/**
 * A network interface as the kernel reports it.
 *
 * @param mac  its link-layer address, or null if it has none
 * @param up   whether it is administratively up ({@code IFF_UP})
 * @param kind the rtnetlink link kind ({@code veth}, {@code dummy}, ...), or null for links without
 *             one (physical NICs, {@code lo})
 */
public record Link(int index, String name, int mtu, MacAddress mac, boolean up, String kind) {
}
