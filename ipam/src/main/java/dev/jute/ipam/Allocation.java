package dev.jute.ipam;

import java.net.InetAddress;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * One address handed out to one attachment. A dual-stack attachment has two allocations with the same
 * key, one per pool.
 *
 * @param key         the attachment
 * @param address     the allocated address
 * @param pool        the pool the address was taken from
 * @param netnsPath   the container's network namespace path as given at allocation time; reconcile uses
 *                    it to find allocations whose namespace is gone
 * @param allocatedAt when the address was handed out
 * @param pod         the pod, if the runtime told us
 */
public record Allocation(AllocationKey key, InetAddress address, IpPrefix pool, String netnsPath,
                         Instant allocatedAt, Optional<PodRef> pod) {
    public Allocation {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(pool, "pool");
        Objects.requireNonNull(netnsPath, "netnsPath");
        Objects.requireNonNull(allocatedAt, "allocatedAt");
        Objects.requireNonNull(pod, "pod");
        if (!pool.contains(address)) {
            throw new IllegalArgumentException(IpAddresses.format(address) + " is not in its pool " + pool);
        }
        if (netnsPath.chars().anyMatch(c -> c == '\n' || c == '\r' || c == 0)) {
            throw new IllegalArgumentException("netns path contains a line break or NUL");
        }
    }

    public Allocation(AllocationKey key, InetAddress address, IpPrefix pool, String netnsPath, Instant allocatedAt) {
        this(key, address, pool, netnsPath, allocatedAt, Optional.empty());
    }

    public IpFamily family() {
        return pool.family();
    }

    @Override
    public String toString() {
        return IpAddresses.format(address) + " (" + pool + ") -> " + key
                + pod.map(p -> " pod " + p).orElse("");
    }
}
