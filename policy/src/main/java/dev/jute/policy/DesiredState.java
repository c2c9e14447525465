package dev.jute.policy;

import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * What the policy part of the dataplane should hold: per endpoint its compiled rules, and the
 * ipcache (pod address as a host prefix to the pod's identity). A syncer diffs this against the
 * BPF maps. Immutable.
 */
public record DesiredState(SortedMap<ObjectRef, EndpointRules> endpoints, SortedMap<IpCidr, Integer> ipcache) {

    public DesiredState {
        endpoints = Collections.unmodifiableSortedMap(new TreeMap<>(endpoints));
        ipcache = Collections.unmodifiableSortedMap(new TreeMap<>(ipcache));
    }

    public static DesiredState of(Map<ObjectRef, EndpointRules> endpoints, Map<IpCidr, Integer> ipcache) {
        return new DesiredState(new TreeMap<>(endpoints), new TreeMap<>(ipcache));
    }

    /** The total number of allow entries, both directions of every endpoint. */
    public long entryCount() {
        return endpoints.values().stream()
                .mapToLong(r -> r.ingress().entries().size() + r.egress().entries().size()).sum();
    }
}
