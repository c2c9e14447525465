package dev.jute.agent.service;

import dev.jute.agent.Log;
import dev.jute.dataplane.bpf.ServiceBackend;
import dev.jute.dataplane.bpf.ServiceEntry;
import dev.jute.dataplane.bpf.ServiceFrontend;
import dev.jute.dataplane.bpf.ServiceMaps;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Applies compiled frontends to the Service maps as deltas. It starts from what is pinned (an agent
 * restart adopts the kernel's state, service ids included, so established connections keep their
 * reverse NAT), writes only frontends whose flags or backend set changed, deletes frontends that are
 * no longer wanted, and cuts the connections of backends that left every frontend. Not thread-safe:
 * one update loop calls it.
 */
public final class ServiceSyncer {

    private static final Log LOG = Log.of("service");

    private final ServiceMaps maps;
    /** What the maps hold, as this syncer last wrote or adopted it. */
    private final Map<ServiceFrontend.Key, ServiceEntry> programmed = new HashMap<>();
    private final ServiceIds ids = new ServiceIds();
    private long writes;

    /** What one {@link #apply} changed. */
    public record Delta(int upserted, int deleted, int backendsReset, int connectionsCut) {
        public boolean empty() {
            return upserted == 0 && deleted == 0 && backendsReset == 0;
        }
    }

    public ServiceSyncer(ServiceMaps maps) {
        this.maps = maps;
        for (ServiceEntry entry : maps.services()) {
            programmed.put(entry.frontend().key(), entry);
            ids.adopt(entry.frontend().serviceId());
        }
        if (!programmed.isEmpty()) {
            LOG.info("adopted pinned service frontends", "frontends", programmed.size());
        }
    }

    public Delta apply(Map<ServiceFrontend.Key, CompiledFrontend> desired) {
        Map<ServiceFrontend, List<ServiceBackend>> upserts = new LinkedHashMap<>();
        for (CompiledFrontend want : desired.values()) {
            ServiceEntry have = programmed.get(want.key());
            int id = have != null ? have.frontend().serviceId() : ids.next();
            ServiceFrontend frontend = want.withId(id);
            if (have == null || !have.frontend().equals(frontend)
                || !new HashSet<>(have.backends()).equals(new HashSet<>(want.backends()))
                || have.backends().size() != want.backends().size()) {
                upserts.put(frontend, want.backends());
            }
        }
        List<ServiceFrontend.Key> deletions = new ArrayList<>();
        for (ServiceFrontend.Key key : programmed.keySet()) {
            if (!desired.containsKey(key)) {
                deletions.add(key);
            }
        }
        // Backends that no frontend will use any more: their connections are cut after the maps
        // stop choosing them. A backend that only moved between frontends keeps its connections.
        Set<ServiceBackend> before = addressesAndPorts(programmed.values().stream().flatMap(e -> e.backends().stream()).toList());
        Set<ServiceBackend> after = addressesAndPorts(desired.values().stream().flatMap(f -> f.backends().stream()).toList());
        before.removeAll(after);

        if (!upserts.isEmpty()) {
            maps.upsertServices(upserts);
            writes += upserts.size();
            upserts.forEach((frontend, backends) -> programmed.put(frontend.key(), new ServiceEntry(frontend, backends)));
        }
        for (ServiceFrontend.Key key : deletions) {
            maps.deleteService(key);
            ServiceEntry gone = programmed.remove(key);
            ids.release(gone.frontend().serviceId());
            writes++;
        }
        int cut = 0;
        for (ServiceBackend backend : before) {
            cut += maps.resetBackendConnections(backend);
        }
        return new Delta(upserts.size(), deletions.size(), before.size(), cut);
    }

    /** Backends compared by address and port only (node-locality is a per-node view, not identity). */
    private static Set<ServiceBackend> addressesAndPorts(List<ServiceBackend> backends) {
        Set<ServiceBackend> set = new HashSet<>();
        for (ServiceBackend b : backends) {
            set.add(new ServiceBackend(b.address(), b.port(), false));
        }
        return set;
    }

    public int frontends() {
        return programmed.size();
    }

    public long writes() {
        return writes;
    }
}
