package dev.jute.ipam;

import java.io.IOException;
import java.net.InetAddress;
import java.util.HashSet;
import java.util.Set;
import java.util.function.Predicate;

/**
 * An in-memory store whose writes can be made to fail, to drive IPAM's error paths: an I/O error on
 * chosen records, or records that "already exist" behind IPAM's back.
 */
final class ScriptedStore implements IpamStore {
    final InMemoryIpamStore records = new InMemoryIpamStore();
    /** add() throws an IOException for allocations matching this. */
    Predicate<Allocation> failAdd = a -> false;
    /** remove() throws an IOException for allocations matching this. */
    Predicate<Allocation> failRemove = a -> false;
    /** Addresses for which a foreign record exists: add() refuses them. */
    final Set<InetAddress> foreignRecords = new HashSet<>();
    int adds;

    @Override
    public StoredState load() {
        return records.load();
    }

    @Override
    public void add(Allocation allocation) throws IOException {
        adds++;
        if (foreignRecords.contains(allocation.address())) {
            throw new AddressAlreadyRecordedException(allocation.address(), "scripted");
        }
        if (failAdd.test(allocation)) {
            throw new IOException("scripted write failure for " + allocation);
        }
        records.add(allocation);
    }

    @Override
    public void remove(Allocation allocation) throws IOException {
        if (failRemove.test(allocation)) {
            throw new IOException("scripted remove failure for " + allocation);
        }
        records.remove(allocation);
    }

    @Override
    public void recordCursor(IpFamily family, InetAddress lastAllocated) {
        records.recordCursor(family, lastAllocated);
    }

    @Override
    public void close() {
    }
}
