package dev.jute.inbox.image;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An image name with a tag, {@code [registry/]repository:tag}, normalised the way containerd and
 * kubelet do: a name without a registry is on docker.io, a one-part repository there is under library/.
 */
public record ImageReference(String registry, String repository, String tag) {

    private static final Pattern REFERENCE = Pattern.compile(
            "^(?:(?<registry>[a-zA-Z0-9.-]+(?::[0-9]+)?|localhost)/)?(?<repository>[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*)"
            + ":(?<tag>[\\w][\\w.-]{0,127})$");

    public static ImageReference parse(String reference) {
        Matcher m = REFERENCE.matcher(reference);
        if (!m.matches()) {
            throw new IllegalArgumentException("not an image reference with a tag: '" + reference
                                               + "' (expected e.g. jute.dev/jute:dev)");
        }
        String registry = m.group("registry");
        String repository = m.group("repository");
        // "jute/jute:dev" names repository jute/jute on docker.io: the first part is a registry only
        // when it looks like a host (has a dot or a port, or is localhost).
        if (registry != null && !registry.contains(".") && !registry.contains(":") && !registry.equals("localhost")) {
            repository = registry + "/" + repository;
            registry = null;
        }
        if (registry == null) {
            registry = "docker.io";
            if (!repository.contains("/")) {
                repository = "library/" + repository;
            }
        }
        return new ImageReference(registry, repository, m.group("tag"));
    }

    /** The name as Docker's {@code manifest.json} lists it (docker.io names without their registry). */
    public String dockerTag() {
        String name = registry.equals("docker.io") ? repository.replaceFirst("^library/", "") : registry + "/" + repository;
        return name + ":" + tag;
    }

    @Override
    public String toString() {
        return registry + "/" + repository + ":" + tag;
    }
}
