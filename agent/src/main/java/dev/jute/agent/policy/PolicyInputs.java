package dev.jute.agent.policy;

import dev.jute.policy.ContainerPort;
import dev.jute.policy.Endpoint;
import dev.jute.policy.IpCidr;
import dev.jute.policy.Namespace;
import dev.jute.policy.ObjectRef;
import dev.jute.policy.Protocol;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodIP;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Everything NetworkPolicy enforcement depends on, as one complete picture of the cluster: namespaces
 * with their labels, every pod of the cluster (remote pods too: their addresses need identities in the
 * ipcache) and every NetworkPolicy, still in API form so the enforcer can report the invalid ones.
 * Built from the informers ({@link #fromKubernetes}) or from a file of manifests ({@link PolicyStateFile}).
 */
public record PolicyInputs(Map<String, Namespace> namespaces, Map<ObjectRef, Endpoint> pods,
                           Map<ObjectRef, NetworkPolicy> policies) {

    public PolicyInputs {
        namespaces = Map.copyOf(namespaces);
        pods = Map.copyOf(pods);
        policies = Map.copyOf(policies);
    }

    public static final PolicyInputs EMPTY = new PolicyInputs(Map.of(), Map.of(), Map.of());

    /** Translates API objects; objects that cannot take part (host-network or finished pods) are left out. */
    public static PolicyInputs fromKubernetes(Collection<io.fabric8.kubernetes.api.model.Namespace> namespaces,
                                              Collection<Pod> pods, Collection<NetworkPolicy> policies) {
        Map<String, Namespace> byName = new TreeMap<>();
        for (var namespace : namespaces) {
            if (namespace.getMetadata() != null && namespace.getMetadata().getName() != null) {
                byName.put(namespace.getMetadata().getName(), namespace(namespace));
            }
        }
        Map<ObjectRef, Endpoint> endpoints = new HashMap<>();
        for (Pod pod : pods) {
            endpoint(pod).ifPresent(e -> endpoints.put(e.ref(), e));
        }
        Map<ObjectRef, NetworkPolicy> byRef = new HashMap<>();
        for (NetworkPolicy policy : policies) {
            if (policy.getMetadata() != null && policy.getMetadata().getName() != null
                && policy.getMetadata().getNamespace() != null) {
                byRef.put(new ObjectRef(policy.getMetadata().getNamespace(), policy.getMetadata().getName()), policy);
            }
        }
        return new PolicyInputs(byName, endpoints, byRef);
    }

    /**
     * A namespace's labels. The API server has set {@code kubernetes.io/metadata.name} on every
     * namespace since 1.21; it is added when missing so selectors on it work against any source.
     */
    static Namespace namespace(io.fabric8.kubernetes.api.model.Namespace namespace) {
        String name = namespace.getMetadata().getName();
        Map<String, String> labels = new HashMap<>();
        if (namespace.getMetadata().getLabels() != null) {
            labels.putAll(namespace.getMetadata().getLabels());
        }
        labels.putIfAbsent(Namespace.NAME_LABEL, name);
        return new Namespace(name, labels);
    }

    /**
     * A pod as policy sees it. Host-network pods are left out (they have the node's address and
     * NetworkPolicy does not apply to them), and so are finished pods, whose addresses may already
     * belong to new pods.
     */
    static Optional<Endpoint> endpoint(Pod pod) {
        if (pod.getMetadata() == null || pod.getMetadata().getName() == null || pod.getMetadata().getNamespace() == null) {
            return Optional.empty();
        }
        if (pod.getSpec() != null && Boolean.TRUE.equals(pod.getSpec().getHostNetwork())) {
            return Optional.empty();
        }
        String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
        if ("Succeeded".equals(phase) || "Failed".equals(phase)) {
            return Optional.empty();
        }
        return Optional.of(new Endpoint(pod.getMetadata().getNamespace(), pod.getMetadata().getName(),
                pod.getMetadata().getLabels(), addresses(pod), ports(pod)));
    }

    private static List<InetAddress> addresses(Pod pod) {
        Set<InetAddress> addresses = new LinkedHashSet<>();
        if (pod.getStatus() == null) {
            return List.of();
        }
        if (pod.getStatus().getPodIPs() != null) {
            for (PodIP ip : pod.getStatus().getPodIPs()) {
                parse(ip.getIp()).ifPresent(addresses::add);
            }
        }
        parse(pod.getStatus().getPodIP()).ifPresent(addresses::add);
        return List.copyOf(addresses);
    }

    private static Optional<InetAddress> parse(String literal) {
        if (literal == null || literal.isBlank()) {
            return Optional.empty();
        }
        try {
            return Optional.of(IpCidr.parseAddress(literal));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    private static List<ContainerPort> ports(Pod pod) {
        List<ContainerPort> ports = new ArrayList<>();
        if (pod.getSpec() == null || pod.getSpec().getContainers() == null) {
            return ports;
        }
        for (Container container : pod.getSpec().getContainers()) {
            if (container.getPorts() == null) {
                continue;
            }
            for (var port : container.getPorts()) {
                Optional<Protocol> protocol = port.getProtocol() == null ? Optional.of(Protocol.TCP)
                        : Protocol.parse(port.getProtocol());
                Integer number = port.getContainerPort();
                if (protocol.isPresent() && number != null && number >= 1 && number <= 65535) {
                    ports.add(new ContainerPort(port.getName(), number, protocol.get()));
                }
            }
        }
        return ports;
    }
}
