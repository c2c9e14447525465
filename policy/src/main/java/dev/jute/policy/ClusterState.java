package dev.jute.policy;

import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What policy decisions depend on: namespaces with their labels, pods, and the valid policies.
 * Mutable, not thread-safe: one owner (the agent's event loop, a test) applies changes in order.
 * Iteration orders are sorted, so explanations and compiled output are deterministic.
 */
public final class ClusterState {

    private final Map<String, Namespace> namespaces = new TreeMap<>();
    private final Map<ObjectRef, Endpoint> endpoints = new TreeMap<>();
    /** Policies by namespace, because a policy only ever selects pods of its own namespace. */
    private final Map<String, Map<ObjectRef, Policy>> policiesByNamespace = new TreeMap<>();

    public void putNamespace(Namespace namespace) {
        namespaces.put(namespace.name(), namespace);
    }

    public Optional<Namespace> removeNamespace(String name) {
        return Optional.ofNullable(namespaces.remove(name));
    }

    public Optional<Namespace> namespace(String name) {
        return Optional.ofNullable(namespaces.get(name));
    }

    /** A namespace's labels; empty for a namespace not (yet) known, which then matches only empty selectors. */
    public Map<String, String> namespaceLabels(String name) {
        Namespace namespace = namespaces.get(name);
        return namespace == null ? Map.of() : namespace.labels();
    }

    public Collection<Namespace> namespaces() {
        return Collections.unmodifiableCollection(namespaces.values());
    }

    /** Adds a pod or replaces the pod of the same namespace and name; returns the replaced one. */
    public Optional<Endpoint> putEndpoint(Endpoint endpoint) {
        return Optional.ofNullable(endpoints.put(endpoint.ref(), endpoint));
    }

    public Optional<Endpoint> removeEndpoint(ObjectRef ref) {
        return Optional.ofNullable(endpoints.remove(ref));
    }

    public Optional<Endpoint> endpoint(ObjectRef ref) {
        return Optional.ofNullable(endpoints.get(ref));
    }

    public Collection<Endpoint> endpoints() {
        return Collections.unmodifiableCollection(endpoints.values());
    }

    public List<Endpoint> endpointsIn(String namespace) {
        List<Endpoint> result = new ArrayList<>();
        for (Endpoint endpoint : endpoints.values()) {
            if (endpoint.namespace().equals(namespace)) {
                result.add(endpoint);
            }
        }
        return result;
    }

    /** The pod owning an address, if any: how an explanation turns an IP into a pod. */
    public Optional<Endpoint> endpointByIp(InetAddress address) {
        for (Endpoint endpoint : endpoints.values()) {
            if (endpoint.ips().contains(address)) {
                return Optional.of(endpoint);
            }
        }
        return Optional.empty();
    }

    /**
     * Validates and stores a policy, replacing one of the same name. An invalid policy is not
     * stored: the problems are returned and whatever version was valid before stays in force, as
     * it would if the API server had rejected the update. Other policies are never affected.
     */
    public List<ValidationProblem> applyPolicy(NetworkPolicy networkPolicy) {
        PolicyReader.Result result = PolicyReader.read(networkPolicy);
        if (result.problems().isEmpty()) {
            putPolicy(result.policy());
        }
        return result.problems();
    }

    /** Stores an already translated policy; returns the version it replaced. */
    public Optional<Policy> putPolicy(Policy policy) {
        return Optional.ofNullable(policiesByNamespace.computeIfAbsent(policy.namespace(), n -> new TreeMap<>())
                .put(policy.ref(), policy));
    }

    public Optional<Policy> deletePolicy(ObjectRef ref) {
        Map<ObjectRef, Policy> inNamespace = policiesByNamespace.get(ref.namespace());
        if (inNamespace == null) {
            return Optional.empty();
        }
        Policy removed = inNamespace.remove(ref);
        if (inNamespace.isEmpty()) {
            policiesByNamespace.remove(ref.namespace());
        }
        return Optional.ofNullable(removed);
    }

    public Optional<Policy> policy(ObjectRef ref) {
        Map<ObjectRef, Policy> inNamespace = policiesByNamespace.get(ref.namespace());
        return inNamespace == null ? Optional.empty() : Optional.ofNullable(inNamespace.get(ref));
    }

    public Collection<Policy> policiesIn(String namespace) {
        Map<ObjectRef, Policy> inNamespace = policiesByNamespace.get(namespace);
        return inNamespace == null ? List.of() : Collections.unmodifiableCollection(inNamespace.values());
    }

    public List<Policy> policies() {
        List<Policy> all = new ArrayList<>();
        policiesByNamespace.values().forEach(m -> all.addAll(m.values()));
        return all;
    }

    /** The policies that select {@code endpoint} and isolate it in {@code direction}, in name order. */
    public List<Policy> isolatingPolicies(Endpoint endpoint, Direction direction) {
        List<Policy> result = new ArrayList<>();
        for (Policy policy : policiesIn(endpoint.namespace())) {
            if (policy.isolates(direction) && policy.selects(endpoint)) {
                result.add(policy);
            }
        }
        return result;
    }
}
