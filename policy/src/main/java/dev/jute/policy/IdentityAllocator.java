package dev.jute.policy;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Maps identity keys (label sets) to numeric identities for the dataplane, reference counted: each
 * pod holding a key acquires it, and the number stays the same for as long as one holder remains.
 * A freed number is reused only once the fresh range is exhausted, so a number seen in a stale
 * conntrack entry or a not yet synced map almost never names a different label set.
 * Thread-safe.
 */
public final class IdentityAllocator {

    /** Reserved: unused, so a zeroed map value never looks like an identity. */
    public static final int UNKNOWN = 0;
    /** Reserved: every address that is not a known pod (the ipcache miss). */
    public static final int WORLD = 2;
    /** First number handed to a label set; lower ones are reserved. */
    public static final int FIRST_DYNAMIC = 256;
    /** Identities fit 24 bits so the dataplane can pack them with flags into one 32-bit word. */
    public static final int LAST_DYNAMIC = (1 << 24) - 1;

    private record Allocation(int identity, int references) {
    }

    private final Map<IdentityKey, Allocation> byKey = new HashMap<>();
    private final Map<Integer, IdentityKey> byIdentity = new HashMap<>();
    private final Deque<Integer> freed = new ArrayDeque<>();
    private final int last;
    private int next = FIRST_DYNAMIC;

    public IdentityAllocator() {
        this(LAST_DYNAMIC);
    }

    /** With a smaller range, for testing exhaustion and reuse. */
    IdentityAllocator(int lastIdentity) {
        if (lastIdentity < FIRST_DYNAMIC || lastIdentity > LAST_DYNAMIC) {
            throw new IllegalArgumentException("last identity " + lastIdentity + " outside " + FIRST_DYNAMIC + "-" + LAST_DYNAMIC);
        }
        this.last = lastIdentity;
    }

    /**
     * Takes one reference on {@code key}, allocating a number on the first one.
     *
     * @throws IllegalStateException when every number is in use
     */
    public synchronized int acquire(IdentityKey key) {
        Allocation allocation = byKey.get(key);
        if (allocation != null) {
            byKey.put(key, new Allocation(allocation.identity(), allocation.references() + 1));
            return allocation.identity();
        }
        int identity;
        if (next <= last) {
            identity = next++;
        } else if (!freed.isEmpty()) {
            identity = freed.removeFirst();
        } else {
            throw new IllegalStateException("all " + (last - FIRST_DYNAMIC + 1) + " identities are in use");
        }
        byKey.put(key, new Allocation(identity, 1));
        byIdentity.put(identity, key);
        return identity;
    }

    /**
     * Drops one reference; the number is freed with the last one.
     *
     * @throws IllegalStateException when {@code key} holds no reference (a caller bug that would
     *                               otherwise free a number still in use)
     */
    public synchronized void release(IdentityKey key) {
        Allocation allocation = byKey.get(key);
        if (allocation == null) {
            throw new IllegalStateException("release of unallocated identity key " + key);
        }
        if (allocation.references() > 1) {
            byKey.put(key, new Allocation(allocation.identity(), allocation.references() - 1));
            return;
        }
        byKey.remove(key);
        byIdentity.remove(allocation.identity());
        freed.addLast(allocation.identity());
    }

    public synchronized OptionalInt lookup(IdentityKey key) {
        Allocation allocation = byKey.get(key);
        return allocation == null ? OptionalInt.empty() : OptionalInt.of(allocation.identity());
    }

    public synchronized Optional<IdentityKey> keyOf(int identity) {
        return Optional.ofNullable(byIdentity.get(identity));
    }

    public synchronized int references(IdentityKey key) {
        Allocation allocation = byKey.get(key);
        return allocation == null ? 0 : allocation.references();
    }

    /** How many label sets currently hold a number. */
    public synchronized int size() {
        return byKey.size();
    }
}
