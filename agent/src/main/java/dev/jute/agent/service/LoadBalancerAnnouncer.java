package dev.jute.agent.service;

import java.net.InetAddress;
import java.util.Set;

/**
 * Makes this node's LoadBalancer addresses reachable from outside the cluster, e.g. by announcing
 * them as /32 and /128 routes to external BGP peers. Called on the Service thread with the complete
 * set this node should attract ({@link LoadBalancerAnnouncements}: eTP Local addresses only with a
 * node-local backend) after every change, so an implementation withdraws what is missing. A failure
 * is thrown: the Service pass is retried.
 */
@FunctionalInterface
public interface LoadBalancerAnnouncer {

    LoadBalancerAnnouncer NONE = addresses -> {
    };

    void announce(Set<InetAddress> addresses);
}
