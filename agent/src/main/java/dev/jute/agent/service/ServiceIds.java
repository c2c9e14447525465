package dev.jute.agent.service;

import dev.jute.agent.Log;

import java.time.Duration;
import java.util.BitSet;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.function.LongSupplier;

/**
 * Service ids of the frontends one node programs: non-zero and unique among the frontends, and never
 * handed out again while a tracked connection may still carry them.
 *
 * <p>Why the quarantine: a connection's NAT entries (nat_ct) name their frontend by id. The programs
 * look that id up in revnat (to translate replies back) and in live_backends (to keep the connection
 * on its backend). If a deleted frontend's id went at once to a new frontend, a stale connection of
 * the old one would be answered from the new frontend's address, or kept alive because the new
 * frontend happens to balance to the same backend. So a released id rests until every entry that can
 * carry it has expired: after its frontend is deleted nothing extends such an entry any more (its
 * revnat and live pairs are gone), so the longest connection lifetime of the programs bounds the wait.
 *
 * <p>Agent restarts: the ids of live frontends are adopted from the pinned services map
 * ({@link #adopt}); the ids that only unexpired connections still carry are found in the pinned
 * nat_ct and rest until the last of those entries expires ({@link #quarantineUntil}).
 *
 * <p>Bounded: live ids are at most the frontends the maps hold (65,536); quarantined ones at most the
 * frontends deleted during one quarantine. Allocation takes the lowest free id, so the ids in use stay
 * dense and the bitmap small. Only past {@code capacity} ids in use (a churn no cluster reaches) is an
 * id reused early: the one whose quarantine ends first, with a warning, rather than refusing to
 * program Services.
 *
 * <p>Times are {@code CLOCK_MONOTONIC} nanoseconds ({@link System#nanoTime()} on Linux), the clock the
 * programs stamp nat_ct entries with. Not thread-safe: the {@link ServiceSyncer}'s loop owns it.
 */
final class ServiceIds {

    private static final Log LOG = Log.of("service");

    /** Ids in use (live or quarantined) above which quarantined ids are reused early; the maps' id is 32 bits. */
    static final int DEFAULT_CAPACITY = 1 << 24;

    /** A released id and the monotonic time from which no connection can carry it any more. */
    private record Quarantined(int id, long untilNanos) {
    }

    private final Duration quarantine;
    private final LongSupplier clock;
    private final int capacity;
    /** Live and quarantined ids. */
    private final BitSet used = new BitSet();
    /** The quarantined ones among them (in {@link #resting}). */
    private final BitSet quarantinedIds = new BitSet();
    private final PriorityQueue<Quarantined> resting = new PriorityQueue<>(
            (a, b) -> Long.compare(a.untilNanos() - b.untilNanos(), 0)); // wrap-safe, as nanoTime must be compared
    private int inUse;
    private long reusedEarly;

    /**
     * @param quarantine how long a released id rests: the longest a connection entry outlives its
     *                   last packet (plus a margin for packets in flight during the deletion)
     * @param clock      monotonic nanoseconds, the programs' clock
     */
    ServiceIds(Duration quarantine, LongSupplier clock) {
        this(quarantine, clock, DEFAULT_CAPACITY);
    }

    ServiceIds(Duration quarantine, LongSupplier clock, int capacity) {
        if (Objects.requireNonNull(quarantine, "quarantine").isNegative()) {
            throw new IllegalArgumentException("a negative quarantine: " + quarantine);
        }
        if (capacity < 1 || capacity == Integer.MAX_VALUE) {
            throw new IllegalArgumentException("capacity " + capacity + " is outside 1-" + (Integer.MAX_VALUE - 1));
        }
        this.quarantine = quarantine;
        this.clock = Objects.requireNonNull(clock, "clock");
        this.capacity = capacity;
    }

    /** Marks the id of a frontend found in the pinned maps as live. */
    void adopt(int id) {
        requireValid(id);
        if (!used.get(id)) {
            used.set(id);
            inUse++;
        }
    }

    /**
     * Keeps an id no live frontend has, but that unexpired connections found in the pinned nat_ct
     * still carry, from reuse until {@code untilNanos}. An id that is already taken stays as it is.
     */
    void quarantineUntil(int id, long untilNanos) {
        requireValid(id);
        if (used.get(id)) {
            return;
        }
        used.set(id);
        inUse++;
        rest(id, untilNanos);
    }

    /** An id for a new frontend: the lowest one neither live nor quarantined. */
    int next() {
        long now = clock.getAsLong();
        while (!resting.isEmpty() && resting.peek().untilNanos() - now <= 0) {
            int id = resting.poll().id();
            quarantinedIds.clear(id);
            used.clear(id);
            inUse--;
        }
        if (inUse >= capacity) {
            Quarantined early = resting.poll();
            if (early == null) {
                throw new IllegalStateException("all " + capacity + " service ids are live");
            }
            quarantinedIds.clear(early.id());
            reusedEarly++;
            LOG.warn("service id reused before its quarantine ended: more frontends were deleted than ids are kept",
                    "id", early.id(), "seconds_left", (early.untilNanos() - now) / 1_000_000_000L, "capacity", capacity);
            return early.id();
        }
        int id = used.nextClearBit(1);
        used.set(id);
        inUse++;
        return id;
    }

    /** The frontend of {@code id} is deleted (or was never written): the id rests for the quarantine. */
    void release(int id) {
        requireValid(id);
        if (!used.get(id) || quarantinedIds.get(id)) {
            throw new IllegalArgumentException("service id " + id + " is not live");
        }
        rest(id, clock.getAsLong() + quarantine.toNanos());
    }

    private void rest(int id, long untilNanos) {
        quarantinedIds.set(id);
        resting.add(new Quarantined(id, untilNanos));
    }

    /** Ids live or resting. */
    int inUse() {
        return inUse;
    }

    /** Ids resting (released, not yet free). */
    int quarantined() {
        return resting.size();
    }

    /** How often an id had to be reused before its quarantine ended ({@code capacity} reached). */
    long reusedEarly() {
        return reusedEarly;
    }

    private static void requireValid(int id) {
        if (id <= 0 || id == Integer.MAX_VALUE) {
            throw new IllegalArgumentException("service id " + id + " is outside 1-" + (Integer.MAX_VALUE - 1));
        }
    }
}
