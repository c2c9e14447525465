package dev.jute.agent.service;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * {@link ServiceCompiler} with memory, for the agent's passes: a Service is compiled again only when
 * one of its inputs changed (the Service, the set or a version of its EndpointSlices, or the node
 * context); every other Service's frontends are the very objects of the previous pass, which lets
 * {@link ServiceSyncer} skip them by identity. When nothing changed at all the previous
 * {@link ServiceCompiler.Result} itself is returned. The result equals what
 * {@link ServiceCompiler#compile} gives for the same inputs.
 *
 * <p>An object is unchanged when it is the same instance, or has the same uid and resourceVersion
 * (the API server gives every write a new resourceVersion; an informer's re-list brings new instances
 * of unchanged objects). Not thread-safe: one update loop calls it.
 */
public final class IncrementalServiceCompiler {

    /** Per Service key, in key order: the order {@link ServiceCompiler#assemble} resolves conflicts in. */
    private final TreeMap<String, ServiceCompiler.CompiledService> compiled = new TreeMap<>();
    private ServiceCompiler.NodeContext node;
    private ServiceCompiler.Result last;
    private long servicesCompiled;

    public ServiceCompiler.Result compile(List<Service> services, List<EndpointSlice> slices, ServiceCompiler.NodeContext node) {
        boolean nodeChanged = !node.equals(this.node);
        boolean changed = nodeChanged || last == null;
        Map<String, List<EndpointSlice>> slicesByService = ServiceCompiler.slicesByService(slices);
        Set<String> present = new HashSet<>(services.size() * 2);
        for (Service service : services) {
            String key = ServiceCompiler.keyOf(service);
            present.add(key);
            List<EndpointSlice> own = slicesByService.getOrDefault(key, List.of());
            ServiceCompiler.CompiledService previous = compiled.get(key);
            if (!nodeChanged && previous != null && unchanged(previous.service(), service) && unchanged(previous.slices(), own)) {
                continue;
            }
            compiled.put(key, ServiceCompiler.compileOne(service, own, node));
            servicesCompiled++;
            changed = true;
        }
        if (compiled.size() > present.size() && compiled.keySet().retainAll(present)) {
            changed = true;
        }
        this.node = node;
        if (changed) {
            last = ServiceCompiler.assemble(compiled.values());
        }
        return last;
    }

    /** How many times a Service was compiled since this compiler was made (a pass without changes adds none). */
    public long servicesCompiled() {
        return servicesCompiled;
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
