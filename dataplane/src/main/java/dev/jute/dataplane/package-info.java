/**
 * Jute's native kernel calls. Nothing else in Jute talks to the kernel, and nothing here forks a
 * command ({@code ip}, {@code tc}, {@code sysctl}): everything goes through JNA-bound libc calls.
 *
 * <ul>
 *   <li>{@link dev.jute.dataplane.LibC}: the libc functions, errno as {@link dev.jute.dataplane.ErrnoException}.</li>
 *   <li>{@link dev.jute.dataplane.NetNamespace}: network namespace handles; run code inside one on a platform thread.</li>
 *   <li>{@link dev.jute.dataplane.NetlinkSocket}: a NETLINK_ROUTE socket bound to one namespace; request/ACK and dumps,
 *       messages built with {@link dev.jute.dataplane.NetlinkMessageBuilder}, read with
 *       {@link dev.jute.dataplane.NetlinkAttributes}.</li>
 *   <li>{@link dev.jute.dataplane.RouteNetlink}: links (veth), addresses, routes, neighbours.</li>
 *   <li>{@link dev.jute.dataplane.Sysctl}: {@code /proc/sys} keys of the calling thread's namespace.</li>
 *   <li>{@link dev.jute.dataplane.PtpPodWiring}: the point-to-point pod wiring of DESIGN.md §3.</li>
 * </ul>
 */
package dev.jute.dataplane;
