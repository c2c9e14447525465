package dev.jute.dataplane.bpf;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.util.Optional;

/**
 * What the programs know about the pod behind a host-side veth (the {@code endpoints} map value,
 * {@code struct endpoint_info}).
 *
 * @param endpointId      the agent's number for the pod, non-zero; keys the pod's policy entries,
 *                        conntrack entries and drop counters
 * @param identity        the pod's own label identity (what the ipcache maps its addresses to)
 * @param ingressIsolated whether only allow entries admit traffic to the pod
 * @param egressIsolated  whether only allow entries admit traffic from the pod
 * @param ipv4            the pod's IPv4 address, or null; the pod may send from no other IPv4 source
 * @param ipv6            the pod's IPv6 address, or null; likewise (link-local sources stay allowed on the link)
 */
public record EndpointInfo(int endpointId, int identity, boolean ingressIsolated, boolean egressIsolated,
                           Inet4Address ipv4, Inet6Address ipv6) {

    public EndpointInfo {
        if (endpointId == 0) {
            throw new IllegalArgumentException("endpoint id 0 is reserved (drop counters of unknown interfaces)");
        }
        if (ipv6 != null && ipv6.getScopeId() != 0) {
            throw new IllegalArgumentException("a pod address has no scope: " + ipv6.getHostAddress());
        }
    }

    public Optional<Inet4Address> ipv4Address() {
        return Optional.ofNullable(ipv4);
    }

    public Optional<Inet6Address> ipv6Address() {
        return Optional.ofNullable(ipv6);
    }

    public boolean isolated(TrafficDirection direction) {
        return direction == TrafficDirection.INGRESS ? ingressIsolated : egressIsolated;
    }
}
