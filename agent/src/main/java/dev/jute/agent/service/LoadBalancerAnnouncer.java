package dev.jute.agent.service;

import java.net.InetAddress;
import java.util.Set;

/**
 * Makes this node's LoadBalancer addresses reachable from outside the cluster, e.g. by announcing
 * them as /32 and /128 routes to external BGP peers. Called with the complete current set after
 * every change (so an implementation withdraws what is missing).
 */
@FunctionalInterface
public interface LoadBalancerAnnouncer {

    LoadBalancerAnnouncer NONE = addresses -> {
    };

    void announce(Set<InetAddress> addresses);
}
