package dev.jute.dataplane.bpf;

/**
 * Dropped packets of one endpoint, direction and reason, summed over all CPUs.
 *
 * @param endpointId the endpoint; for {@link DropReason#UNKNOWN_ENDPOINT} the host interface index
 */
public record DropCount(int endpointId, TrafficDirection direction, DropReason reason, long packets, long bytes) {
}
