/**
 * IP address management for a Jute node.
 *
 * <p>{@link dev.jute.ipam.Ipam} hands out pod addresses from the node's pod CIDRs ({@link
 * dev.jute.ipam.IpPrefix}, one pool per family for dual stack) to CNI attachments ({@link
 * dev.jute.ipam.AllocationKey}: container ID and interface name), and takes them back on DEL, GC and
 * reconcile. Every change is first made durable in an {@link dev.jute.ipam.IpamStore}; {@link
 * dev.jute.ipam.FileIpamStore} keeps one human-readable file per address and survives {@code kill -9}
 * at any instruction without handing an address out twice or leaking one.
 *
 * <p>Typical use by the agent:
 * <pre>{@code
 * Ipam ipam = Ipam.open(List.of(IpPrefix.parse("10.244.1.0/24"), IpPrefix.parse("fd00:10:244:1::/64")),
 *         List.of(AddressRange.parse("10.244.1.250-10.244.1.254")),
 *         FileIpamStore.open(Path.of("/var/lib/jute/ipam")));
 * ipam.releaseIf(a -> !Files.exists(Path.of(a.netnsPath())));       // reconcile on start
 * List<Allocation> addresses = ipam.allocate(key, netns, pod);       // CNI ADD
 * ipam.release(key);                                                  // CNI DEL
 * ipam.releaseAllExcept(validAttachments);                            // CNI GC
 * boolean full = ipam.usage().stream().anyMatch(PoolUsage::exhausted); // CNI STATUS
 * }</pre>
 */
package dev.jute.ipam;
