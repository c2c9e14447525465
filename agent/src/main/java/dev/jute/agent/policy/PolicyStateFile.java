package dev.jute.agent.policy;

import io.fabric8.kubernetes.api.model.KubernetesList;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code --policy-state FILE}: the cluster state for NetworkPolicy from a file of ordinary Kubernetes
 * manifests instead of an API server — Namespaces, Pods (with {@code status.podIPs} for pods of other
 * nodes) and NetworkPolicies, as YAML documents separated by {@code ---}, a JSON object, or a List.
 * For trying policies without a cluster, and for tests. Pods of this node need no IPs: their
 * interfaces' addresses are used. Other kinds are ignored.
 */
public final class PolicyStateFile {

    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

    private PolicyStateFile() {
    }

    /**
     * @throws IOException              when the file cannot be read
     * @throws IllegalArgumentException when it is not a set of Kubernetes manifests
     */
    public static PolicyInputs read(Path file) throws IOException {
        List<Object> objects = new ArrayList<>();
        try (InputStream in = Files.newInputStream(file)) {
            Object parsed;
            try {
                parsed = SERIALIZATION.unmarshal(in);
            } catch (RuntimeException e) {
                throw new IllegalArgumentException(file + " is not a set of Kubernetes manifests: " + e.getMessage(), e);
            }
            flatten(parsed, objects);
        }
        List<Namespace> namespaces = new ArrayList<>();
        List<Pod> pods = new ArrayList<>();
        List<NetworkPolicy> policies = new ArrayList<>();
        for (Object object : objects) {
            switch (object) {
                case Namespace namespace -> namespaces.add(namespace);
                case Pod pod -> pods.add(pod);
                case NetworkPolicy policy -> policies.add(policy);
                default -> {
                    // Other kinds (Services, Deployments...) say nothing policy needs.
                }
            }
        }
        for (Pod pod : pods) {
            if (pod.getMetadata() != null && pod.getMetadata().getNamespace() == null) {
                pod.getMetadata().setNamespace("default");
            }
        }
        for (NetworkPolicy policy : policies) {
            if (policy.getMetadata() != null && policy.getMetadata().getNamespace() == null) {
                policy.getMetadata().setNamespace("default");
            }
        }
        return PolicyInputs.fromKubernetes(namespaces, pods, policies);
    }

    private static void flatten(Object parsed, List<Object> into) {
        switch (parsed) {
            case null -> {
            }
            case KubernetesList list -> list.getItems().forEach(item -> flatten(item, into));
            case List<?> list -> list.forEach(item -> flatten(item, into));
            default -> into.add(parsed);
        }
    }
}
