package dev.jute.ipam;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A store that keeps records in memory only: nothing survives the process. For tests and for setups
 * whose pods do not outlive the agent. It honours the same exclusivity contract as the file store.
 */
public final class InMemoryIpamStore implements IpamStore {
    private final Map<InetAddress, Allocation> records = new LinkedHashMap<>();
    private final Map<IpFamily, InetAddress> cursors = new EnumMap<>(IpFamily.class);

    @Override
    public synchronized StoredState load() {
        return new StoredState(new ArrayList<>(records.values()), List.of(), cursors);
    }

    @Override
    public synchronized void add(Allocation allocation) throws AddressAlreadyRecordedException {
        if (records.putIfAbsent(allocation.address(), allocation) != null) {
            throw new AddressAlreadyRecordedException(allocation.address(), "memory");
        }
    }

    @Override
    public synchronized void remove(Allocation allocation) {
        records.remove(allocation.address());
    }

    @Override
    public synchronized void recordCursor(IpFamily family, InetAddress lastAllocated) {
        cursors.put(family, lastAllocated);
    }

    @Override
    public void close() {
    }
}
