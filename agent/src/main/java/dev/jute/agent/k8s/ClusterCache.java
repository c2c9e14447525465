package dev.jute.agent.k8s;

import dev.jute.agent.Log;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.Cache;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The agent's view of the cluster: one shared informer per kind it compiles from (Nodes, Pods,
 * Namespaces, Services, EndpointSlices, NetworkPolicies). The informers list once, then watch; a
 * broken watch is re-established (with a fresh list when the resource version is too old) without
 * restarting anything. Errors are logged and retried forever: the API being away is a state, not a
 * reason to stop serving CNI requests for pods already known.
 *
 * <p>Reads return immutable copies, safe from any thread. Listeners are told that "something changed"
 * on the informers' event thread and must only schedule work (see {@link NodeRouteSync}).
 */
public final class ClusterCache implements AutoCloseable {

    private static final Log LOG = Log.of("k8s");

    private final SharedIndexInformer<Node> nodes;
    private final SharedIndexInformer<Pod> pods;
    private final SharedIndexInformer<Namespace> namespaces;
    private final SharedIndexInformer<Service> services;
    private final SharedIndexInformer<EndpointSlice> endpointSlices;
    private final SharedIndexInformer<NetworkPolicy> networkPolicies;
    private final Map<String, SharedIndexInformer<? extends HasMetadata>> byKind = new LinkedHashMap<>();
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
    private final AtomicLong version = new AtomicLong();
    private final AtomicLong watchErrors = new AtomicLong();

    private ClusterCache(KubernetesClient client) {
        nodes = register("Node", client.nodes().runnableInformer(0));
        pods = register("Pod", client.pods().inAnyNamespace().runnableInformer(0));
        namespaces = register("Namespace", client.namespaces().runnableInformer(0));
        services = register("Service", client.services().inAnyNamespace().runnableInformer(0));
        endpointSlices = register("EndpointSlice", client.discovery().v1().endpointSlices().inAnyNamespace().runnableInformer(0));
        networkPolicies = register("NetworkPolicy", client.network().v1().networkPolicies().inAnyNamespace().runnableInformer(0));
    }

    /** Starts every informer; returns at once (see {@link #synced()}). */
    public static ClusterCache start(KubernetesClient client) {
        ClusterCache cache = new ClusterCache(client);
        cache.byKind.forEach((kind, informer) -> informer.start().whenComplete((ignored, failure) -> {
            if (failure == null) {
                LOG.info("informer synced", "kind", kind, "objects", informer.getStore().list().size());
                // Listeners that wait for a complete view (route sync) act now even if no event follows.
                cache.notifyListeners();
            } else {
                LOG.error("informer stopped", "kind", kind, "error", failure.toString());
            }
        }));
        return cache;
    }

    private <T extends HasMetadata> SharedIndexInformer<T> register(String kind, SharedIndexInformer<T> informer) {
        informer.exceptionHandler((started, failure) -> {
            watchErrors.incrementAndGet();
            LOG.warn("watch failed, retrying", "kind", kind, "started", started, "error", String.valueOf(failure));
            return true;
        });
        informer.addEventHandler(new ResourceEventHandler<>() {
            @Override
            public void onAdd(T object) {
                changed(kind, "added", object);
            }

            @Override
            public void onUpdate(T oldObject, T newObject) {
                changed(kind, "updated", newObject);
            }

            @Override
            public void onDelete(T object, boolean finalStateUnknown) {
                changed(kind, "deleted", object);
            }
        });
        byKind.put(kind, informer);
        return informer;
    }

    private void changed(String kind, String what, HasMetadata object) {
        version.incrementAndGet();
        if (LOG.debugEnabled()) {
            LOG.debug(kind + " " + what, "name", Cache.metaNamespaceKeyFunc(object));
        }
        notifyListeners();
    }

    private void notifyListeners() {
        for (Runnable listener : listeners) {
            try {
                listener.run();
            } catch (RuntimeException e) {
                LOG.error("cluster state listener failed", "error", e.toString());
            }
        }
    }

    /** Runs {@code listener} after every change (on the informer thread: it must return quickly). */
    public void onChange(Runnable listener) {
        listeners.add(listener);
    }

    public Optional<Node> node(String name) {
        return Optional.ofNullable(nodes.getStore().getByKey(name));
    }

    public List<Node> nodes() {
        return List.copyOf(nodes.getStore().list());
    }

    public List<Pod> pods() {
        return List.copyOf(pods.getStore().list());
    }

    public List<Namespace> namespaces() {
        return List.copyOf(namespaces.getStore().list());
    }

    public List<Service> services() {
        return List.copyOf(services.getStore().list());
    }

    public List<EndpointSlice> endpointSlices() {
        return List.copyOf(endpointSlices.getStore().list());
    }

    public List<NetworkPolicy> networkPolicies() {
        return List.copyOf(networkPolicies.getStore().list());
    }

    /** A consistent-enough copy of everything, for compilers that want one object. */
    public ClusterSnapshot snapshot() {
        long at = version.get();
        return new ClusterSnapshot(at, nodes(), pods(), namespaces(), services(), endpointSlices(), networkPolicies());
    }

    /** Whether every informer has completed its initial list. */
    public boolean synced() {
        return byKind.values().stream().allMatch(SharedIndexInformer::hasSynced);
    }

    /** Per kind: whether its informer has synced, and whether its watch is open right now. */
    public Map<String, InformerState> state() {
        Map<String, InformerState> state = new LinkedHashMap<>();
        byKind.forEach((kind, informer) -> state.put(kind, new InformerState(informer.hasSynced(), informer.isWatching(),
                informer.getStore().list().size())));
        return state;
    }

    /** Watch or list failures since start (each one was retried). */
    public long watchErrors() {
        return watchErrors.get();
    }

    /** How many changes the informers have delivered; grows monotonically. */
    public long version() {
        return version.get();
    }

    @Override
    public void close() {
        byKind.values().forEach(SharedIndexInformer::close);
    }

    /** One informer's health. */
    public record InformerState(boolean synced, boolean watching, int objects) {
    }
}
