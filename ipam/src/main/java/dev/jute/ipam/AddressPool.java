package dev.jute.ipam;

import java.math.BigInteger;
import java.net.InetAddress;
import java.util.Collection;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * The in-memory state of one pool: which offsets can never be handed out, which are taken, and where
 * the round-robin cursor stands. Not thread-safe; {@link Ipam} guards it.
 *
 * <p>Nothing here is proportional to the pool size. Excluded addresses are kept as merged ranges, taken
 * addresses in sorted maps, so finding the next free address costs O(k log n), k being the number of
 * taken or excluded addresses directly after the cursor. That is what lets a /64 work: there is no
 * bitmap and no scan of 2^64 offsets.
 */
final class AddressPool {
    private final IpPrefix prefix;
    private final BigInteger firstHost;
    private final BigInteger lastHost;
    /** Start offset to inclusive end offset; merged, non-adjacent, all inside [firstHost, lastHost]. */
    private final NavigableMap<BigInteger, BigInteger> excluded = new TreeMap<>();
    private final BigInteger capacity;
    private final NavigableMap<BigInteger, Allocation> allocations = new TreeMap<>();
    private final NavigableMap<BigInteger, UnreadableRecord> blocked = new TreeMap<>();
    /** Taken offsets (allocated or blocked) that count against the capacity. */
    private long takenUsable;
    /** Offset most recently handed out; the next search starts after it. Null: start at the beginning. */
    private BigInteger cursor;

    AddressPool(IpPrefix prefix, Collection<AddressRange> reserved) {
        this.prefix = prefix;
        this.firstHost = prefix.firstHostOffset();
        this.lastHost = prefix.lastHostOffset();
        // The gateway: the node keeps the first host address for itself.
        exclude(firstHost, firstHost);
        if (prefix.family() == IpFamily.IPV6 && prefix.length() == 64) {
            // RFC 2526: the highest 128 interface identifiers of a /64 are reserved subnet anycast addresses.
            exclude(lastHost.subtract(BigInteger.valueOf(127)), lastHost);
        }
        for (AddressRange range : reserved) {
            if (range.family() != prefix.family()) {
                continue;
            }
            BigInteger start = IpAddresses.toBigInteger(range.first()).subtract(IpAddresses.toBigInteger(prefix.network()));
            BigInteger end = IpAddresses.toBigInteger(range.last()).subtract(IpAddresses.toBigInteger(prefix.network()));
            exclude(start.max(firstHost), end.min(lastHost));
        }
        BigInteger usable = lastHost.subtract(firstHost).add(BigInteger.ONE);
        for (Map.Entry<BigInteger, BigInteger> range : excluded.entrySet()) {
            usable = usable.subtract(range.getValue().subtract(range.getKey()).add(BigInteger.ONE));
        }
        this.capacity = usable;
    }

    /** Adds [start, end] to the excluded ranges, merging with overlapping or adjacent ones. */
    private void exclude(BigInteger start, BigInteger end) {
        if (start.compareTo(end) > 0) {
            return; // empty after clipping to the host range
        }
        Map.Entry<BigInteger, BigInteger> before = excluded.floorEntry(start);
        if (before != null && before.getValue().add(BigInteger.ONE).compareTo(start) >= 0) {
            start = before.getKey();
            end = end.max(before.getValue());
            excluded.remove(before.getKey());
        }
        Map.Entry<BigInteger, BigInteger> after;
        while ((after = excluded.ceilingEntry(start)) != null
                && after.getKey().compareTo(end.add(BigInteger.ONE)) <= 0) {
            end = end.max(after.getValue());
            excluded.remove(after.getKey());
        }
        excluded.put(start, end);
    }

    IpPrefix prefix() {
        return prefix;
    }

    BigInteger capacity() {
        return capacity;
    }

    BigInteger available() {
        return capacity.subtract(BigInteger.valueOf(takenUsable));
    }

    /** Whether the offset may ever be handed out: a host address that is not excluded. */
    private boolean usable(BigInteger offset) {
        if (offset.compareTo(firstHost) < 0 || offset.compareTo(lastHost) > 0) {
            return false;
        }
        Map.Entry<BigInteger, BigInteger> range = excluded.floorEntry(offset);
        return range == null || range.getValue().compareTo(offset) < 0;
    }

    boolean isTaken(InetAddress address) {
        BigInteger offset = prefix.offsetOf(address);
        return allocations.containsKey(offset) || blocked.containsKey(offset);
    }

    /** Records an allocation of this pool. The caller has checked that the address is not taken. */
    void add(Allocation allocation) {
        BigInteger offset = prefix.offsetOf(allocation.address());
        if (isTaken(allocation.address())) {
            throw new IllegalStateException(allocation.address() + " is taken already in " + prefix);
        }
        allocations.put(offset, allocation);
        if (usable(offset)) {
            takenUsable++;
        }
    }

    void remove(Allocation allocation) {
        BigInteger offset = prefix.offsetOf(allocation.address());
        if (allocations.remove(offset) != null && usable(offset)) {
            takenUsable--;
        }
    }

    /** Keeps an address out of use because a record we cannot account for holds it. */
    void block(UnreadableRecord record) {
        BigInteger offset = prefix.offsetOf(record.address());
        if (allocations.containsKey(offset) || blocked.putIfAbsent(offset, record) != null) {
            return;
        }
        if (usable(offset)) {
            takenUsable++;
        }
    }

    void moveCursorTo(InetAddress address) {
        cursor = prefix.offsetOf(address);
    }

    /** The allocation whose address was most recently handed out, judged by allocation time. */
    Allocation newestAllocation() {
        return allocations.values().stream()
                .max(java.util.Comparator.comparing(Allocation::allocatedAt))
                .orElse(null);
    }

    /**
     * The first free address after the cursor, wrapping around once, or null when the pool is full.
     * Does not take it.
     */
    InetAddress nextFree() {
        if (available().signum() <= 0) {
            return null;
        }
        BigInteger candidate = cursor == null ? firstHost : cursor.add(BigInteger.ONE);
        // Each step skips an excluded range or a taken address, or wraps; more steps than that means
        // the counters are wrong, which must not turn into an endless loop.
        long stepLimit = (long) allocations.size() + blocked.size() + 2L * excluded.size() + 3;
        for (long step = 0; step < stepLimit; step++) {
            if (candidate.compareTo(lastHost) > 0 || candidate.compareTo(firstHost) < 0) {
                candidate = firstHost;
                continue;
            }
            Map.Entry<BigInteger, BigInteger> range = excluded.floorEntry(candidate);
            if (range != null && range.getValue().compareTo(candidate) >= 0) {
                candidate = range.getValue().add(BigInteger.ONE);
                continue;
            }
            if (allocations.containsKey(candidate) || blocked.containsKey(candidate)) {
                candidate = candidate.add(BigInteger.ONE);
                continue;
            }
            return prefix.address(candidate);
        }
        throw new IllegalStateException("pool " + prefix + " reports " + available()
                + " free addresses but none was found");
    }

    PoolUsage usage() {
        return new PoolUsage(prefix, capacity, allocations.size(), available().max(BigInteger.ZERO));
    }
}
