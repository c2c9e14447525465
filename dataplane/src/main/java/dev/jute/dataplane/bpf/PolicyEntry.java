package dev.jute.dataplane.bpf;

/**
 * An allow entry read back from the {@code policy} map, with how many packets it admitted that
 * conntrack did not already know (once per new connection; per packet for stateless ICMP).
 */
public record PolicyEntry(PolicyKey key, long admitted) {
}
