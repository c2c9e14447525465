package dev.jute.agent.service;

import dev.jute.agent.Log;
import dev.jute.dataplane.bpf.ServiceBackend;
import dev.jute.dataplane.bpf.ServiceEntry;
import dev.jute.dataplane.bpf.ServiceFrontend;
import dev.jute.dataplane.bpf.ServiceMaps;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * Applies compiled frontends to the Service maps as deltas. It starts from what is pinned (an agent
 * restart adopts the kernel's state, service ids included, so established connections keep their
 * reverse NAT; a deleted frontend's id is not given to another while connections may carry it, see
 * {@link ServiceIds}), writes only frontends whose flags or backend set changed and deletes frontends that
 * are no longer wanted. A backend that leaves a frontend is retired in the maps (its live pair is
 * deleted); the programs reset or re-balance its connections on their next packet, so no update
 * ever walks the connection table. Not thread-safe: one update loop calls it.
 *
 * <p>The cost of a pass follows what changed, not how much exists: {@link #apply(Map, Set)} looks only
 * at the frontends the {@link IncrementalServiceCompiler} says changed, and a frontend handed over
 * as the very object last written is not compared again.
 */
public final class ServiceSyncer {

    private static final Log LOG = Log.of("service");

    private final ServiceMaps maps;
    /** What the maps hold, as this syncer last wrote or adopted it. */
    private final Map<ServiceFrontend.Key, ServiceEntry> programmed = new HashMap<>();
    /** The compiled frontend each programmed key was last written from (absent for adopted ones). */
    private final Map<ServiceFrontend.Key, CompiledFrontend> appliedFrom = new HashMap<>();
    private final ServiceIds ids;
    /**
     * Frontends a failed write may or may not have reached: {@link #programmed} learns their state from
     * the kernel before anything else is written. Each maps to the id the write handed it as a new
     * frontend, or 0 when it had one already.
     */
    private final Map<ServiceFrontend.Key, Integer> uncertain = new HashMap<>();
    /** Whether the live pairs are to be made the set view of the slots again, after a failed write. */
    private boolean liveBackendsUncertain;
    private long writes;
    private long backendsRetired;

    /**
     * What one {@link #apply} changed.
     *
     * @param backendsRetired (frontend, backend) pairs that ended: a backend left a frontend, or its
     *                        frontend was deleted; their connections are reset (TCP) or balanced anew
     */
    public record Delta(int upserted, int deleted, int backendsRetired) {
        public boolean empty() {
            return upserted == 0 && deleted == 0 && backendsRetired == 0;
        }
    }

    /**
     * How long past the longest connection lifetime a released service id still rests: a packet that
     * read a frontend's entries just before they were deleted may still extend its connection by a full
     * lifetime when its program finishes.
     */
    static final Duration ID_QUARANTINE_MARGIN = Duration.ofMinutes(1);

    public ServiceSyncer(ServiceMaps maps) {
        this(maps, System::nanoTime);
    }

    /** @param monotonicClock the programs' clock ({@code CLOCK_MONOTONIC} nanoseconds), for ids' quarantine */
    ServiceSyncer(ServiceMaps maps, LongSupplier monotonicClock) {
        this.maps = maps;
        this.ids = new ServiceIds(ServiceMaps.LONGEST_CONNECTION_LIFETIME.plus(ID_QUARANTINE_MARGIN), monotonicClock);
        for (ServiceEntry entry : maps.services()) {
            programmed.put(entry.frontend().key(), entry);
            ids.adopt(entry.frontend().serviceId());
        }
        // Ids of frontends deleted before a restart rest as long as connections still carry them.
        maps.connectionServiceIds(monotonicClock.getAsLong())
                .forEach((id, expires) -> ids.quarantineUntil(id, expires + ID_QUARANTINE_MARGIN.toNanos()));
        int repaired = maps.repairLiveBackends();
        if (!programmed.isEmpty() || repaired > 0 || ids.quarantined() > 0) {
            LOG.info("adopted pinned service frontends", "frontends", programmed.size(), "live_pairs_repaired", repaired,
                    "ids_quarantined", ids.quarantined());
        }
    }

    /** Makes the maps hold exactly {@code desired}: compares every frontend (after a start or a new node context). */
    public Delta apply(Map<ServiceFrontend.Key, CompiledFrontend> desired) {
        learnUncertain();
        Map<ServiceFrontend, List<ServiceBackend>> upserts = new LinkedHashMap<>();
        Map<ServiceFrontend.Key, CompiledFrontend> sources = new HashMap<>();
        for (CompiledFrontend want : desired.values()) {
            consider(want.key(), want, upserts, sources);
        }
        List<ServiceFrontend.Key> deletions = new ArrayList<>();
        for (ServiceFrontend.Key key : programmed.keySet()) {
            if (!desired.containsKey(key)) {
                deletions.add(key);
            }
        }
        return write(upserts, sources, deletions);
    }

    /**
     * Brings the frontends {@code changed} names to their value in {@code desired} (absent: deleted);
     * every other frontend is taken to be programmed as it is. The cost follows {@code changed}, not
     * the number of frontends.
     */
    public Delta apply(Map<ServiceFrontend.Key, CompiledFrontend> desired, Set<ServiceFrontend.Key> changed) {
        learnUncertain();
        Map<ServiceFrontend, List<ServiceBackend>> upserts = new LinkedHashMap<>();
        Map<ServiceFrontend.Key, CompiledFrontend> sources = new HashMap<>();
        List<ServiceFrontend.Key> deletions = new ArrayList<>();
        for (ServiceFrontend.Key key : changed) {
            CompiledFrontend want = desired.get(key);
            if (want != null) {
                consider(key, want, upserts, sources);
            } else if (programmed.containsKey(key)) {
                deletions.add(key);
            }
        }
        return write(upserts, sources, deletions);
    }

    /** Queues {@code want} for writing unless the maps hold it already (known by identity, else compared). */
    private void consider(ServiceFrontend.Key key, CompiledFrontend want, Map<ServiceFrontend, List<ServiceBackend>> upserts,
                          Map<ServiceFrontend.Key, CompiledFrontend> sources) {
        if (appliedFrom.get(key) == want) {
            return;
        }
        ServiceEntry have = programmed.get(key);
        int id = have != null ? have.frontend().serviceId() : ids.next();
        ServiceFrontend frontend = want.withId(id);
        if (have == null || !have.frontend().equals(frontend)
            || !new HashSet<>(have.backends()).equals(new HashSet<>(want.backends()))
            || have.backends().size() != want.backends().size()) {
            upserts.put(frontend, want.backends());
        }
        sources.put(key, want);
    }

    private Delta write(Map<ServiceFrontend, List<ServiceBackend>> upserts, Map<ServiceFrontend.Key, CompiledFrontend> sources,
                        List<ServiceFrontend.Key> deletions) {
        int retired = 0;
        if (!upserts.isEmpty()) {
            try {
                retired += maps.upsertServices(upserts);
            } catch (RuntimeException e) {
                // Part of the write may have landed (a batch stops at its first failing entry): a frontend in the
                // kernel that this syncer does not know would never be deleted.
                liveBackendsUncertain = true;
                for (ServiceFrontend frontend : upserts.keySet()) {
                    uncertain.put(frontend.key(), programmed.containsKey(frontend.key()) ? 0 : frontend.serviceId());
                }
                try {
                    learnUncertain();
                } catch (RuntimeException unreadable) {
                    e.addSuppressed(unreadable); // learnt before the next write instead
                }
                throw e;
            }
            writes += upserts.size();
            upserts.forEach((frontend, backends) -> programmed.put(frontend.key(), new ServiceEntry(frontend, backends)));
        }
        appliedFrom.putAll(sources);
        for (ServiceFrontend.Key key : deletions) {
            maps.deleteService(key);
            ServiceEntry gone = programmed.remove(key);
            appliedFrom.remove(key);
            ids.release(gone.frontend().serviceId());
            retired += gone.backends().size();
            writes++;
        }
        backendsRetired += retired;
        return new Delta(upserts.size(), deletions.size(), retired);
    }

    /**
     * Takes the frontends a failed write left uncertain as the kernel holds them, and makes the live
     * pairs the set view of the slots again (the write may have stopped between a frontend and the
     * retirement of its old backends, or left pairs of a new frontend that never landed). Rare, so one
     * walk of the live pairs is fine.
     */
    private void learnUncertain() {
        if (uncertain.isEmpty() && !liveBackendsUncertain) {
            return;
        }
        for (var iterator = uncertain.entrySet().iterator(); iterator.hasNext(); ) {
            var entry = iterator.next();
            ServiceFrontend.Key key = entry.getKey();
            int newId = entry.getValue();
            Optional<ServiceEntry> inKernel = maps.service(key);
            appliedFrom.remove(key); // compared again by the next write
            if (inKernel.isPresent()) {
                programmed.put(key, inKernel.get()); // a new frontend that landed keeps its id
            } else {
                ServiceEntry gone = programmed.remove(key);
                if (newId != 0) {
                    ids.release(newId); // a partial write may have used it in slots: it rests like any other
                } else if (gone != null) {
                    ids.release(gone.frontend().serviceId());
                }
            }
            iterator.remove();
        }
        int repaired = maps.repairLiveBackends();
        liveBackendsUncertain = false;
        LOG.info("learnt the frontends of a failed write from the maps", "frontends", programmed.size(),
                "live_pairs_repaired", repaired);
    }

    public int frontends() {
        return programmed.size();
    }

    public long writes() {
        return writes;
    }

    /** (frontend, backend) pairs retired since start (see {@link Delta#backendsRetired}). */
    public long backendsRetired() {
        return backendsRetired;
    }
}
