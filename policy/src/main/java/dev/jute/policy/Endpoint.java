package dev.jute.policy;

import java.net.InetAddress;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.TreeMap;

/**
 * A pod as policy sees it: where it lives, its labels, its addresses and the ports its containers
 * declare (needed to resolve named ports).
 */
public record Endpoint(String namespace, String name, Map<String, String> labels, List<InetAddress> ips,
                       List<ContainerPort> ports) implements Party {

    public Endpoint {
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(name, "name");
        labels = labels == null ? Map.of() : Map.copyOf(labels);
        ips = ips == null ? List.of() : List.copyOf(ips);
        ports = ports == null ? List.of() : List.copyOf(ports);
    }

    public ObjectRef ref() {
        return new ObjectRef(namespace, name);
    }

    /** The same pod with a different label set. */
    public Endpoint withLabels(Map<String, String> newLabels) {
        return new Endpoint(namespace, name, newLabels, ips, ports);
    }

    /**
     * The number behind a named port, looked up in this pod's containers for the given protocol.
     * Kubernetes resolves a policy's named port per destination pod, so two pods may give one name
     * different numbers, or none.
     */
    public OptionalInt resolveNamedPort(String portName, Protocol protocol) {
        for (ContainerPort port : ports) {
            if (portName.equals(port.name()) && port.protocol() == protocol) {
                return OptionalInt.of(port.port());
            }
        }
        return OptionalInt.empty();
    }

    /** The first address of the pod's IPv4 (or, failing that, any) family, for display. */
    public Optional<InetAddress> primaryIp() {
        return ips.stream().findFirst();
    }

    @Override
    public String describe() {
        return namespace + "/" + name + " " + new TreeMap<>(labels)
                + primaryIp().map(ip -> " " + IpCidr.format(ip)).orElse("");
    }
}
