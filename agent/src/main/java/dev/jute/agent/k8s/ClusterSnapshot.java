package dev.jute.agent.k8s;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;

import java.util.List;

/**
 * An immutable copy of the cluster objects the agent compiles from. {@code version} counts the informer
 * events seen before the copy started, so a compiler can skip work when nothing changed.
 */
public record ClusterSnapshot(long version, List<Node> nodes, List<Pod> pods, List<Namespace> namespaces,
                              List<Service> services, List<EndpointSlice> endpointSlices,
                              List<NetworkPolicy> networkPolicies) {
}
