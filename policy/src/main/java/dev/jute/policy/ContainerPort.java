package dev.jute.policy;

import java.util.Objects;

/**
 * A port a pod's container declares. Only ports with a name can be referenced by a policy's named
 * port; unnamed ones are kept because they are still part of the pod description.
 *
 * @param name the port name, or {@code null} when the container does not name it
 */
public record ContainerPort(String name, int port, Protocol protocol) {

    public ContainerPort {
        Objects.requireNonNull(protocol, "protocol");
        if (port < 1 || port > PortRange.MAX_PORT) {
            throw new IllegalArgumentException("container port " + port + " is outside 1-65535");
        }
        if (name != null && name.isEmpty()) {
            name = null;
        }
    }
}
