package dev.jute.dataplane.bpf;

import java.net.InetAddress;

/**
 * A connection an endpoint's policy admitted (the {@code conntrack} map), in the direction it was
 * opened.
 *
 * @param endpointId     the endpoint whose policy admitted it
 * @param direction      which of its policies: egress (the pod opened it) or ingress
 * @param protocol       IP protocol number
 * @param source         the initiator's address
 * @param sourcePort     the initiator's port (ICMP echo: the identifier)
 * @param destination    the responder's address
 * @param destinationPort the responder's port (ICMP echo: the identifier)
 * @param seenReply      whether the responder has answered
 * @param closing        TCP FIN or RST seen
 * @param createdNanos   {@code CLOCK_MONOTONIC} ({@link System#nanoTime()} on Linux) at creation
 * @param lastSeenNanos  likewise, last refresh (at most once a second)
 * @param expiresNanos   likewise, when the entry stops counting
 */
public record ConntrackEntry(int endpointId, TrafficDirection direction, int protocol, InetAddress source,
                             int sourcePort, InetAddress destination, int destinationPort, boolean seenReply,
                             boolean closing, long createdNanos, long lastSeenNanos, long expiresNanos) {
}
