package dev.jute.policy;

import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Everything a policy selector can see of a pod: its namespace, its labels and its namespace's
 * labels. Pods with equal keys are indistinguishable to every selector, so they share one numeric
 * identity in the dataplane.
 */
public record IdentityKey(String namespace, SortedMap<String, String> podLabels,
                          SortedMap<String, String> namespaceLabels) {

    public IdentityKey {
        Objects.requireNonNull(namespace, "namespace");
        podLabels = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(podLabels));
        namespaceLabels = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(namespaceLabels));
    }

    public static IdentityKey of(Endpoint endpoint, Map<String, String> namespaceLabels) {
        return new IdentityKey(endpoint.namespace(), new TreeMap<>(endpoint.labels()), new TreeMap<>(namespaceLabels));
    }

    @Override
    public String toString() {
        return namespace + " " + podLabels + " ns" + namespaceLabels;
    }
}
