package dev.jute.ipam;

import java.util.Objects;

/**
 * The Kubernetes pod an allocation was made for, as passed by the runtime in {@code K8S_POD_NAMESPACE}
 * and {@code K8S_POD_NAME}. Kept only so that operators reading the store (or the agent's status) can
 * tell which pod holds an address; IPAM never uses it to decide anything.
 */
public record PodRef(String namespace, String name) {
    public PodRef {
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(name, "name");
        if (namespace.isBlank() || name.isBlank()) {
            throw new IllegalArgumentException("pod namespace and name must not be blank");
        }
        if ((namespace + name).chars().anyMatch(Character::isISOControl)) {
            throw new IllegalArgumentException("pod reference contains a control character");
        }
    }

    @Override
    public String toString() {
        return namespace + "/" + name;
    }
}
