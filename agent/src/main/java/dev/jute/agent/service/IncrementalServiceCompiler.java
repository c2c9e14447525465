package dev.jute.agent.service;

import dev.jute.dataplane.bpf.ServiceFrontend;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * {@link ServiceCompiler} with memory, for the agent's passes: a Service is compiled again only when
 * one of its inputs changed (the Service, the set or a version of its EndpointSlices, or the node
 * context), and the node's frontend map is edited in place for it, so a pass costs what changed,
 * plus one identity lookup per Service and EndpointSlice. Each {@link Update} names the frontend keys
 * whose compiled value may differ from the previous pass, for {@link ServiceSyncer#apply(Map, Set)}.
 * The frontends always equal what {@link ServiceCompiler#compile} gives for the same inputs
 * (conflicts included: of two Services claiming one frontend, the first in key order wins).
 *
 * <p>An object is unchanged when it is the same instance (an informer replaces an object on every
 * change), or has the same uid and resourceVersion (an informer's re-list brings new instances of
 * unchanged objects). Not thread-safe: one update loop calls it.
 */
public final class IncrementalServiceCompiler {

    /**
     * What a pass produced.
     *
     * @param frontends every frontend the node should program: a read-only live view, valid until the
     *                  next {@link #compile}
     * @param changed   the frontend keys whose value may differ from the previous pass (added, changed or
     *                  removed); everything when the compiler started over
     * @param problems  Services (or frontends) skipped, and why, in Service key order
     * @param full      whether every Service was compiled (first pass, new node context)
     */
    public record Update(Map<ServiceFrontend.Key, CompiledFrontend> frontends, Set<ServiceFrontend.Key> changed,
                         List<String> problems, boolean full) {
    }

    private final Map<String, ServiceCompiler.CompiledService> byKey = new HashMap<>();
    private IdentityHashMap<Service, String> serviceKeys = new IdentityHashMap<>();
    private IdentityHashMap<EndpointSlice, String> sliceOwners = new IdentityHashMap<>();
    /** The winning claim of every frontend. */
    private final Map<ServiceFrontend.Key, CompiledFrontend> frontends = new HashMap<>();
    /** Frontends claimed by more than one Service: every claim, by Service key. */
    private final Map<ServiceFrontend.Key, TreeMap<String, CompiledFrontend>> contested = new HashMap<>();
    private final TreeMap<String, String> serviceProblems = new TreeMap<>();
    private ServiceCompiler.NodeContext node;
    private List<String> problems = List.of();
    private long servicesCompiled;

    public Update compile(List<Service> services, List<EndpointSlice> slices, ServiceCompiler.NodeContext node) {
        Objects.requireNonNull(node, "node");
        try {
            return update(services, slices, node);
        } catch (RuntimeException e) {
            this.node = null; // the state may be half updated: the next pass starts over
            throw e;
        }
    }

    private Update update(List<Service> services, List<EndpointSlice> slices, ServiceCompiler.NodeContext node) {
        boolean full = !node.equals(this.node);
        if (full) {
            byKey.clear();
            serviceKeys = new IdentityHashMap<>();
            sliceOwners = new IdentityHashMap<>();
            frontends.clear();
            contested.clear();
            serviceProblems.clear();
            this.node = node;
        }
        Set<ServiceFrontend.Key> changed = new HashSet<>();

        // EndpointSlices: the owners of new instances and of vanished ones have changed slices.
        Set<String> dirtyOwners = new HashSet<>();
        IdentityHashMap<EndpointSlice, String> owners = new IdentityHashMap<>(slices.size() * 2);
        int reusedSlices = 0;
        for (EndpointSlice slice : slices) {
            String owner = sliceOwners.get(slice);
            if (owner != null) {
                reusedSlices++;
            } else {
                owner = ownerOf(slice);
                dirtyOwners.add(owner);
            }
            owners.put(slice, owner);
        }
        if (reusedSlices < sliceOwners.size()) {
            sliceOwners.forEach((slice, owner) -> {
                if (!owners.containsKey(slice)) {
                    dirtyOwners.add(owner);
                }
            });
        }
        sliceOwners = owners;

        // Services: a known instance without changed slices is done; anything else is looked at.
        List<Service> toCheck = new ArrayList<>();
        IdentityHashMap<Service, String> keys = new IdentityHashMap<>(services.size() * 2);
        int reusedServices = 0;
        for (Service service : services) {
            String key = serviceKeys.get(service);
            if (key != null) {
                reusedServices++;
                if (dirtyOwners.contains(key)) {
                    toCheck.add(service);
                }
            } else {
                key = ServiceCompiler.keyOf(service);
                toCheck.add(service);
            }
            keys.put(service, key);
        }
        Set<String> removed = new HashSet<>();
        if (reusedServices < serviceKeys.size()) {
            serviceKeys.forEach((service, key) -> {
                if (!keys.containsKey(service)) {
                    removed.add(key);
                }
            });
            keys.values().forEach(removed::remove); // replaced by a new instance, not removed
        }
        serviceKeys = keys;

        if (!toCheck.isEmpty()) {
            Map<String, List<EndpointSlice>> own = slicesOf(toCheck, keys, owners);
            for (Service service : toCheck) {
                String key = keys.get(service);
                List<EndpointSlice> mine = own.getOrDefault(key, List.of());
                ServiceCompiler.CompiledService previous = byKey.get(key);
                if (previous != null && unchanged(previous.service(), service) && unchanged(previous.slices(), mine)) {
                    continue;
                }
                replace(key, previous, ServiceCompiler.compileOne(service, mine, node), changed);
                servicesCompiled++;
            }
        }
        for (String key : removed) {
            replace(key, byKey.get(key), null, changed);
        }
        if (!changed.isEmpty() || full) {
            problems = problems();
        }
        return new Update(Collections.unmodifiableMap(frontends), changed, problems, full);
    }

    /** The frontends the node programs for one Service ({@code namespace/name}), as compiled last. */
    public List<CompiledFrontend> frontendsOf(String serviceKey) {
        ServiceCompiler.CompiledService compiled = byKey.get(serviceKey);
        return compiled == null ? List.of() : compiled.frontends();
    }

    /** How many times a Service was compiled since this compiler was made (a pass without changes adds none). */
    public long servicesCompiled() {
        return servicesCompiled;
    }

    private static String ownerOf(EndpointSlice slice) {
        Map<String, String> labels = slice.getMetadata().getLabels();
        String owner = labels == null ? null : labels.get(ServiceCompiler.SERVICE_NAME_LABEL);
        return owner == null ? "" : slice.getMetadata().getNamespace() + "/" + owner;
    }

    /** The slices of the Services to check, each list ordered by name as {@link ServiceCompiler#slicesByService} orders them. */
    private static Map<String, List<EndpointSlice>> slicesOf(List<Service> toCheck, IdentityHashMap<Service, String> keys,
                                                           IdentityHashMap<EndpointSlice, String> owners) {
        Set<String> wanted = new HashSet<>();
        for (Service service : toCheck) {
            wanted.add(keys.get(service));
        }
        List<EndpointSlice> relevant = new ArrayList<>();
        owners.forEach((slice, owner) -> {
            if (wanted.contains(owner)) {
                relevant.add(slice);
            }
        });
        return ServiceCompiler.slicesByService(relevant);
    }

    /** Puts one Service's new share in place of its previous one (either may be null), recording the touched frontend keys. */
    private void replace(String key, ServiceCompiler.CompiledService previous, ServiceCompiler.CompiledService next,
                         Set<ServiceFrontend.Key> changed) {
        if (previous != null) {
            for (CompiledFrontend frontend : previous.frontends()) {
                unclaim(key, frontend.key());
                changed.add(frontend.key());
            }
            serviceProblems.remove(key);
            byKey.remove(key);
        }
        if (next != null) {
            for (CompiledFrontend frontend : next.frontends()) {
                claim(key, frontend);
                changed.add(frontend.key());
            }
            if (next.problem() != null) {
                serviceProblems.put(key, next.problem());
            }
            byKey.put(key, next);
        }
    }

    private void claim(String service, CompiledFrontend frontend) {
        ServiceFrontend.Key key = frontend.key();
        CompiledFrontend holder = frontends.get(key);
        if (holder == null) {
            frontends.put(key, frontend);
            return;
        }
        if (holder.service().equals(service)) {
            return; // the Service names this frontend twice: its first claim stands
        }
        TreeMap<String, CompiledFrontend> claims = contested.computeIfAbsent(key, k -> new TreeMap<>());
        claims.put(holder.service(), holder);
        claims.put(service, frontend);
        frontends.put(key, claims.firstEntry().getValue());
    }

    private void unclaim(String service, ServiceFrontend.Key key) {
        TreeMap<String, CompiledFrontend> claims = contested.get(key);
        if (claims == null) {
            CompiledFrontend holder = frontends.get(key);
            if (holder != null && holder.service().equals(service)) {
                frontends.remove(key);
            }
            return;
        }
        claims.remove(service);
        frontends.put(key, claims.firstEntry().getValue());
        if (claims.size() == 1) {
            contested.remove(key);
        }
    }

    /** Skipped Services and lost frontend claims, in Service key order (as {@link ServiceCompiler#assemble} lists them). */
    private List<String> problems() {
        TreeMap<String, List<String>> byService = new TreeMap<>();
        serviceProblems.forEach((service, problem) -> byService.computeIfAbsent(service, k -> new ArrayList<>()).add(problem));
        contested.forEach((key, claims) -> {
            String winner = claims.firstKey();
            claims.keySet().stream().skip(1).forEach(loser -> byService.computeIfAbsent(loser, k -> new ArrayList<>())
                    .add(loser + ": frontend " + key + " is already used by " + winner));
        });
        List<String> all = new ArrayList<>();
        byService.values().forEach(all::addAll);
        return List.copyOf(new LinkedHashSet<>(all));
    }

    private static boolean unchanged(List<EndpointSlice> before, List<EndpointSlice> now) {
        if (before.size() != now.size()) {
            return false;
        }
        for (int i = 0; i < before.size(); i++) {
            if (!unchanged(before.get(i), now.get(i))) {
                return false;
            }
        }
        return true;
    }

    static boolean unchanged(HasMetadata before, HasMetadata now) {
        if (before == now) {
            return true;
        }
        ObjectMeta a = before.getMetadata();
        ObjectMeta b = now.getMetadata();
        return a != null && b != null && a.getUid() != null && a.getResourceVersion() != null
               && a.getUid().equals(b.getUid()) && a.getResourceVersion().equals(b.getResourceVersion());
    }
}
