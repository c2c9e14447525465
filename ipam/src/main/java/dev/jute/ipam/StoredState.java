package dev.jute.ipam;

import java.net.InetAddress;
import java.util.List;
import java.util.Map;

/**
 * Everything a store holds, as read when IPAM starts.
 *
 * @param allocations the readable allocation records
 * @param unreadable  records that exist but cannot be understood; their addresses stay reserved
 * @param cursors     per family, the address most recently handed out (a round-robin hint that may be
 *                    missing or stale)
 */
public record StoredState(List<Allocation> allocations, List<UnreadableRecord> unreadable,
                          Map<IpFamily, InetAddress> cursors) {
    public StoredState {
        allocations = List.copyOf(allocations);
        unreadable = List.copyOf(unreadable);
        cursors = Map.copyOf(cursors);
    }
}
