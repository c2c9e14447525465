package dev.jute.ipam;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.math.BigInteger;
import java.net.InetAddress;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;

/**
 * IP address management for one node: hands out addresses from the node's pod CIDRs (one pool per
 * family, so one address per family for dual stack) to CNI attachments, and takes them back.
 *
 * <p>Never handed out: the network address, the IPv4 broadcast address, the pool's {@linkplain
 * #gateway gateway}, the reserved subnet anycast addresses of an IPv6 /64 (RFC 2526) and the configured
 * reserved addresses. Addresses are handed out round-robin after the most recently allocated one, like
 * the CNI host-local plugin, so a just-released address is not reused at once (a stale conntrack entry
 * or a late packet for the old pod should not reach the new one).
 *
 * <p>Durability: every change goes to the {@link IpamStore} before the in-memory state changes and
 * before the caller hears of it, so a crash at any point loses no promised allocation. A dual-stack
 * allocation is two records; a crash between them leaves a partial allocation, which the next {@link
 * #allocate} for the key completes and DEL or GC otherwise releases.
 *
 * <p>Thread-safe. Operations are serialized: each takes a couple of fsyncs, which is far below the rate
 * at which a node creates pods, and a single lock keeps idempotency and round-robin order simple.
 *
 * <p>Records found in the store for addresses that no configured pool covers (the node's pod CIDR
 * changed) are kept, reported by {@link #orphanedAllocations()}, and released by DEL, GC or {@link
 * #releaseIf} like any other. Unreadable records keep their addresses reserved and are reported by
 * {@link #unreadableRecords()}.
 */
public final class Ipam implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Ipam.class.getName());

    private final Object lock = new Object();
    private final IpamStore store;
    private final Clock clock;
    /** Configured pools in configuration order; results list allocations in this order. */
    private final List<AddressPool> pools;
    /** All allocations, orphans included, in the order they were made or loaded. */
    private final Map<AllocationKey, List<Allocation>> byKey = new LinkedHashMap<>();
    private final Map<InetAddress, Allocation> orphans = new LinkedHashMap<>();
    private final List<UnreadableRecord> unreadable = new ArrayList<>();

    private Ipam(List<AddressPool> pools, IpamStore store, Clock clock) {
        this.pools = pools;
        this.store = store;
        this.clock = clock;
    }

    /** Opens IPAM over the given pools and store, loading what the store holds. */
    public static Ipam open(List<IpPrefix> pools, Collection<AddressRange> reserved, IpamStore store)
            throws IOException {
        return open(pools, reserved, store, Clock.systemUTC());
    }

    /**
     * Opens IPAM over the given pools and store, loading what the store holds.
     *
     * @param pools    the node's pod CIDRs, at most one per family
     * @param reserved addresses never to hand out; ranges are clipped to the pools, and ranges outside
     *                 every pool are ignored (a cluster-wide list may name other nodes' addresses)
     * @param store    where allocations are kept; IPAM takes ownership and closes it in {@link #close}
     * @param clock    source of allocation times
     * @throws IllegalArgumentException if there is no pool, two pools of one family, or a pool with no
     *                                  address to hand out
     */
    public static Ipam open(List<IpPrefix> pools, Collection<AddressRange> reserved, IpamStore store, Clock clock)
            throws IOException {
        Objects.requireNonNull(pools, "pools");
        Objects.requireNonNull(reserved, "reserved");
        Objects.requireNonNull(store, "store");
        Objects.requireNonNull(clock, "clock");
        if (pools.isEmpty()) {
            throw new IllegalArgumentException("IPAM needs at least one pool");
        }
        Map<IpFamily, AddressPool> byFamily = new EnumMap<>(IpFamily.class);
        List<AddressPool> built = new ArrayList<>();
        for (IpPrefix prefix : pools) {
            AddressPool pool = new AddressPool(prefix, List.copyOf(reserved));
            AddressPool previous = byFamily.putIfAbsent(prefix.family(), pool);
            if (previous != null) {
                throw new IllegalArgumentException("two " + prefix.family().label() + " pools: " + previous.prefix()
                        + " and " + prefix + "; at most one pool per family");
            }
            if (pool.capacity().signum() == 0) {
                throw new IllegalArgumentException("pool " + prefix
                        + " has no address to hand out once the gateway and reserved addresses are excluded");
            }
            built.add(pool);
        }
        Ipam ipam = new Ipam(List.copyOf(built), store, clock);
        ipam.load(store.load());
        return ipam;
    }

    private void load(StoredState state) {
        for (UnreadableRecord record : state.unreadable()) {
            keepReserved(record);
        }
        for (Allocation stored : state.allocations()) {
            AddressPool pool = poolContaining(stored.address());
            if (pool == null) {
                orphans.put(stored.address(), stored);
                byKey.computeIfAbsent(stored.key(), k -> new ArrayList<>()).add(stored);
                LOG.log(Level.WARNING, "IPAM record {0} is outside every configured pool; kept until DEL or GC",
                        stored);
                continue;
            }
            if (pool.isTaken(stored.address())) {
                keepReserved(new UnreadableRecord(stored.address(), "store",
                        "second record for an address that is already recorded (" + stored + ")"));
                continue;
            }
            // A record made under an older, differently sized pod CIDR that still covers the address is
            // adopted by the current pool.
            Allocation adopted = stored.pool().equals(pool.prefix()) ? stored
                    : new Allocation(stored.key(), stored.address(), pool.prefix(), stored.netnsPath(),
                    stored.allocatedAt(), stored.pod());
            pool.add(adopted);
            byKey.computeIfAbsent(adopted.key(), k -> new ArrayList<>()).add(adopted);
        }
        for (AddressPool pool : pools) {
            InetAddress cursor = state.cursors().get(pool.prefix().family());
            if (cursor != null && pool.prefix().contains(cursor)) {
                pool.moveCursorTo(cursor);
            } else {
                // No usable hint: continue after the newest allocation, which is what the hint would say
                // unless newer allocations have been released since.
                Allocation newest = pool.newestAllocation();
                if (newest != null) {
                    pool.moveCursorTo(newest.address());
                }
            }
        }
    }

    private void keepReserved(UnreadableRecord record) {
        unreadable.add(record);
        AddressPool pool = poolContaining(record.address());
        if (pool != null) {
            pool.block(record);
        }
        LOG.log(Level.WARNING, "IPAM keeps {0} reserved: unreadable record {1}; remove it by hand once understood",
                IpAddresses.format(record.address()), record);
    }

    private AddressPool poolContaining(InetAddress address) {
        for (AddressPool pool : pools) {
            if (pool.prefix().contains(address)) {
                return pool;
            }
        }
        return null;
    }

    /**
     * The gateway of a pool: its first host address, which IPAM never hands out because the node uses
     * it. For IPv4 /31 and IPv6 /127 that is the pool's first address.
     */
    public static InetAddress gateway(IpPrefix pool) {
        return pool.address(pool.firstHostOffset());
    }

    /** The configured pools, in configuration order. */
    public List<IpPrefix> pools() {
        return pools.stream().map(AddressPool::prefix).toList();
    }

    /** Allocates for an attachment without pod information; see {@link #allocate(AllocationKey, String, PodRef)}. */
    public List<Allocation> allocate(AllocationKey key, String netnsPath) throws PoolExhaustedException, IOException {
        return allocate(key, netnsPath, Optional.empty());
    }

    /**
     * Allocates one address from every pool for an attachment.
     *
     * <p>Idempotent: if the key holds an address in every pool already, those allocations are returned
     * unchanged (whatever {@code netnsPath} and {@code pod} say now). If it holds some (left by a crash
     * in the middle of a dual-stack allocation) the missing ones are added. Orphaned allocations of the
     * key (outside the current pools) do not count; they stay with the key until it is released. Atomic:
     * if any pool fails, the addresses taken by this call are released again.
     *
     * @return the key's allocations, one per pool, in pool order
     * @throws PoolExhaustedException naming the first pool that has no free address
     * @throws IOException            if the store failed; nothing taken by this call is kept
     */
    public List<Allocation> allocate(AllocationKey key, String netnsPath, PodRef pod)
            throws PoolExhaustedException, IOException {
        return allocate(key, netnsPath, Optional.of(pod));
    }

    private List<Allocation> allocate(AllocationKey key, String netnsPath, Optional<PodRef> pod)
            throws PoolExhaustedException, IOException {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(netnsPath, "netnsPath");
        synchronized (lock) {
            List<AddressPool> missing = pools.stream().filter(pool -> allocationIn(key, pool) == null).toList();
            for (AddressPool pool : missing) {
                // Checked up front so that the common exhausted case writes nothing at all.
                if (pool.available().signum() <= 0) {
                    throw new PoolExhaustedException(pool.prefix());
                }
            }
            List<Allocation> taken = new ArrayList<>();
            try {
                for (AddressPool pool : missing) {
                    taken.add(take(pool, key, netnsPath, pod));
                }
            } catch (PoolExhaustedException | IOException | RuntimeException e) {
                rollBack(taken, e);
                throw e;
            }
            return pools.stream().map(pool -> allocationIn(key, pool)).toList();
        }
    }

    private Allocation allocationIn(AllocationKey key, AddressPool pool) {
        for (Allocation allocation : byKey.getOrDefault(key, List.of())) {
            if (allocation.pool().equals(pool.prefix())) {
                return allocation;
            }
        }
        return null;
    }

    /** Takes the next free address of a pool for a key, recording it in the store first. */
    private Allocation take(AddressPool pool, AllocationKey key, String netnsPath, Optional<PodRef> pod)
            throws PoolExhaustedException, IOException {
        while (true) {
            InetAddress address = pool.nextFree();
            if (address == null) {
                throw new PoolExhaustedException(pool.prefix());
            }
            Allocation allocation = new Allocation(key, address, pool.prefix(), netnsPath, clock.instant(), pod);
            // The cursor moves before the write: if the write fails, the next attempt tries a different
            // address instead of the same (possibly half-written) one again.
            pool.moveCursorTo(address);
            store.recordCursor(pool.prefix().family(), address);
            try {
                store.add(allocation);
            } catch (AddressAlreadyRecordedException e) {
                // The store holds a record we do not know about (left by an earlier failed write). It wins:
                // keep the address out of use, report it, and try the next one.
                keepReserved(new UnreadableRecord(address, "store", e.getMessage()));
                continue;
            }
            pool.add(allocation);
            byKey.computeIfAbsent(key, k -> new ArrayList<>()).add(allocation);
            return allocation;
        }
    }

    private void rollBack(List<Allocation> taken, Exception cause) {
        for (Allocation allocation : taken) {
            try {
                store.remove(allocation);
                forget(allocation);
            } catch (IOException | RuntimeException e) {
                // It stays allocated (on disk and here), so DEL or GC can still release it.
                cause.addSuppressed(e);
            }
        }
    }

    private void forget(Allocation allocation) {
        List<Allocation> ofKey = byKey.get(allocation.key());
        if (ofKey != null) {
            ofKey.remove(allocation);
            if (ofKey.isEmpty()) {
                byKey.remove(allocation.key());
            }
        }
        if (orphans.remove(allocation.address(), allocation)) {
            return;
        }
        AddressPool pool = poolContaining(allocation.address());
        if (pool != null) {
            pool.remove(allocation);
        }
    }

    /**
     * Releases every allocation of an attachment (CNI DEL). Idempotent.
     *
     * @return whether the key held anything
     * @throws IOException if the store failed; allocations whose record could not be removed stay
     *                     allocated, so calling again is safe
     */
    public boolean release(AllocationKey key) throws IOException {
        synchronized (lock) {
            List<Allocation> ofKey = byKey.get(key);
            if (ofKey == null) {
                return false;
            }
            releaseAll(List.copyOf(ofKey), null);
            return true;
        }
    }

    /** Releases every allocation whose key is not in {@code valid} (CNI GC). */
    public List<Allocation> releaseAllExcept(Set<AllocationKey> valid) throws IOException {
        Objects.requireNonNull(valid, "valid");
        return releaseIf(allocation -> !valid.contains(allocation.key()));
    }

    /**
     * Releases every allocation the condition holds for, for example those whose network namespace no
     * longer exists (reconcile on start). The condition is evaluated without holding IPAM's lock, so it
     * may do I/O; an allocation that changed meanwhile (released, or re-made for its key) is left alone.
     *
     * @return the allocations released
     * @throws IOException if some records could not be removed; those stay allocated, the others are
     *                     released, and calling again is safe
     */
    public List<Allocation> releaseIf(Predicate<Allocation> condition) throws IOException {
        Objects.requireNonNull(condition, "condition");
        List<Allocation> matching = allocations().stream().filter(condition).toList();
        List<Allocation> released = new ArrayList<>();
        synchronized (lock) {
            List<Allocation> stillPresent = matching.stream()
                    .filter(a -> byKey.getOrDefault(a.key(), List.of()).contains(a))
                    .toList();
            releaseAll(stillPresent, released);
        }
        return released;
    }

    /** Removes the records and forgets the allocations; on failure, goes on with the rest and throws. */
    private void releaseAll(List<Allocation> allocations, List<Allocation> released) throws IOException {
        IOException failure = null;
        for (Allocation allocation : allocations) {
            try {
                store.remove(allocation);
            } catch (IOException e) {
                if (failure == null) {
                    failure = new IOException("could not release every address; the rest stay allocated");
                }
                failure.addSuppressed(e);
                continue;
            }
            forget(allocation);
            if (released != null) {
                released.add(allocation);
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    /** Every allocation, orphans included, ordered by family and address. */
    public List<Allocation> allocations() {
        synchronized (lock) {
            return byKey.values().stream()
                    .flatMap(List::stream)
                    .sorted(BY_ADDRESS)
                    .toList();
        }
    }

    /** The allocations of an attachment, empty if it has none. */
    public List<Allocation> find(AllocationKey key) {
        synchronized (lock) {
            return byKey.getOrDefault(key, List.of()).stream().sorted(BY_ADDRESS).toList();
        }
    }

    /** Fill level of every configured pool, in pool order. */
    public List<PoolUsage> usage() {
        synchronized (lock) {
            return pools.stream().map(AddressPool::usage).toList();
        }
    }

    /** Allocations found in the store for addresses outside every configured pool. */
    public List<Allocation> orphanedAllocations() {
        synchronized (lock) {
            return List.copyOf(orphans.values());
        }
    }

    /** Records that could not be understood; their addresses stay reserved. */
    public List<UnreadableRecord> unreadableRecords() {
        synchronized (lock) {
            return List.copyOf(unreadable);
        }
    }

    /** Closes the store. */
    @Override
    public void close() throws IOException {
        synchronized (lock) {
            store.close();
        }
    }

    private static final Comparator<Allocation> BY_ADDRESS = Comparator
            .comparing((Allocation a) -> a.family())
            .thenComparing(a -> IpAddresses.toBigInteger(a.address()), BigInteger::compareTo);
}
