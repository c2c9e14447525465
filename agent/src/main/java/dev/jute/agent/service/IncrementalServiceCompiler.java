package dev.jute.agent.service;

import dev.jute.dataplane.bpf.ServiceFrontend;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * {@link ServiceCompiler} with memory, for the agent's passes: a Service is compiled again only when
 * one of its inputs changed (the Service, the set or a version of its EndpointSlices, or the node
 * context), and the node's frontend map is edited in place for it, so a pass costs what changed,
 * plus one identity lookup per Service and EndpointSlice. Each {@link Update} names the frontend keys
 * whose compiled value may differ from the previous pass, for {@link ServiceSyncer#apply(Map, Set)}.
 * The frontends and problems always equal what {@link ServiceCompiler#compile} gives for the same
 * inputs; both let {@link FrontendClaims} settle frontends that several Services claim.
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
     *                  removed); meaningless when {@code full} (keys that vanished are not listed then):
     *                  the caller compares every frontend
     * @param problems  Services (or frontends) skipped, and why, in Service key order
     * @param full      whether every Service was compiled (first pass, new node context)
     */
    public record Update(Map<ServiceFrontend.Key, CompiledFrontend> frontends, Set<ServiceFrontend.Key> changed,
                         List<String> problems, boolean full) {
    }

    private final Map<String, ServiceCompiler.CompiledService> byKey = new HashMap<>();
    private IdentityHashMap<Service, String> serviceKeys = new IdentityHashMap<>();
    private IdentityHashMap<EndpointSlice, String> sliceOwners = new IdentityHashMap<>();
    private final FrontendClaims claims = new FrontendClaims();
    /** The Services skipped as a whole (a bad address, an unknown protocol), in key order. */
    private final TreeSet<String> skipped = new TreeSet<>();
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
            claims.clear();
            skipped.clear();
            this.node = node;
        }
        Set<ServiceFrontend.Key> changed = new HashSet<>();
        boolean replaced = false;

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
                replaced = true;
            }
        }
        for (String key : removed) {
            replace(key, byKey.get(key), null, changed);
            replaced = true;
        }
        // Not only when frontends changed: a skipped Service has none, yet its problem comes, changes and goes.
        if (replaced || full) {
            problems = problems();
        }
        return new Update(claims.holders(), changed, problems, full);
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
            claims.withdraw(previous);
            previous.frontends().forEach(f -> changed.add(f.key()));
            skipped.remove(key);
            byKey.remove(key);
        }
        if (next != null) {
            claims.claim(next);
            next.frontends().forEach(f -> changed.add(f.key()));
            if (next.problem() != null) {
                skipped.add(key);
            }
            byKey.put(key, next);
        }
    }

    /** Skipped Services and lost frontend claims, in Service key order, as {@link ServiceCompiler#assemble} lists them. */
    private List<String> problems() {
        TreeSet<String> withProblems = new TreeSet<>(skipped);
        withProblems.addAll(claims.losers());
        List<String> all = new ArrayList<>();
        for (String service : withProblems) {
            all.addAll(claims.problemsOf(byKey.get(service)));
        }
        return List.copyOf(all);
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
