package dev.jute.policy;

import java.util.Map;
import java.util.Objects;

/** A namespace and its labels: what namespaceSelector peers match against. */
public record Namespace(String name, Map<String, String> labels) {

    /** The label the API server puts on every namespace (immutable, equal to the name). */
    public static final String NAME_LABEL = "kubernetes.io/metadata.name";

    public Namespace {
        Objects.requireNonNull(name, "name");
        labels = labels == null ? Map.of() : Map.copyOf(labels);
    }

    /** A namespace with only the label the API server always sets. */
    public static Namespace withDefaultLabels(String name) {
        return new Namespace(name, Map.of(NAME_LABEL, name));
    }
}
