/**
 * The eBPF NetworkPolicy and Service NAT dataplane (DESIGN.md §3): libbpf through JNA, no forks.
 *
 * <ul>
 *   <li>{@link dev.jute.dataplane.bpf.ServiceDataplane}: loads {@code from_netdev} (NodePort /
 *       LoadBalancer on the uplink) against the same pins; ClusterIP NAT for pods runs inside
 *       {@code from_pod} / {@code to_pod}, before policy, so policy judges the backend.</li>
 *   <li>{@link dev.jute.dataplane.bpf.ServiceMaps}: frontends, backend slots, reverse NAT,
 *       affinity and NAT connections, updated in an order that never opens a hole.</li>
 *   <li>{@link dev.jute.dataplane.bpf.PolicyDataplane}: loads {@code from_pod} / {@code to_pod}
 *       (compiled from {@code src/main/bpf} into the jar), adopts or creates the pinned maps,
 *       attaches to host-side veths.</li>
 *   <li>{@link dev.jute.dataplane.bpf.PolicyMaps}: typed reads and writes of the maps (endpoints,
 *       ipcache, policy and its CIDR index, conntrack, fragments, drop counters), also openable
 *       from pins alone for tools.</li>
 *   <li>{@link dev.jute.dataplane.bpf.BpfObject}, {@link dev.jute.dataplane.bpf.BpfProgram},
 *       {@link dev.jute.dataplane.bpf.BpfMap}, {@link dev.jute.dataplane.bpf.TcAttachment},
 *       {@link dev.jute.dataplane.bpf.BpfFilesystem}: the generic layer over libbpf 1.1.</li>
 * </ul>
 *
 * <p>The verdict for one direction of one endpoint is the policy module's
 * {@code DesiredStateLookup}, with one addition Kubernetes requires: ingress from the node's own
 * addresses (ipcache identity 1, {@code IDENTITY_HOST}) is always allowed. Connections are
 * tracked per endpoint, so replies pass without a policy lookup; a packet that opens a connection
 * (TCP SYN, ICMP echo request) is always judged, even on a reply tuple. The map layouts are
 * documented next to the C structs in {@code src/main/bpf/lib/maps.h} and mirrored in
 * {@link dev.jute.dataplane.bpf.MapLayouts}.
 *
 * <p>This package does not depend on the policy module: {@link dev.jute.dataplane.bpf.PolicyKey},
 * {@link dev.jute.dataplane.bpf.PolicyPeer}, {@link dev.jute.dataplane.bpf.EndpointInfo} and
 * {@link dev.jute.dataplane.bpf.IpPrefix} restate what the agent translates from
 * {@code AllowEntry}, {@code EntryPeer}, {@code PortPrefix} and {@code IpCidr}.
 */
package dev.jute.dataplane.bpf;
