package dev.jute.agent.service;

import dev.jute.dataplane.bpf.FrontendScope;
import dev.jute.dataplane.bpf.ServiceBackend;
import dev.jute.dataplane.bpf.ServiceFrontend;

import java.util.List;
import java.util.Objects;

/**
 * One frontend the node should program, before it gets a service id: which Kubernetes Service port
 * it comes from, how it balances and to which backends.
 *
 * @param service  {@code namespace/name}
 * @param portName the Service port's name ("" when unnamed)
 * @param backends the eligible endpoints, in a stable order (the maps put node-local ones first)
 */
public record CompiledFrontend(String service, String portName, ServiceFrontend.Key key, boolean externalTrafficLocal,
                               boolean internalTrafficLocal, int affinityTimeoutSeconds, List<ServiceBackend> backends) {

    public CompiledFrontend {
        Objects.requireNonNull(service, "service");
        Objects.requireNonNull(portName, "portName");
        Objects.requireNonNull(key, "key");
        backends = List.copyOf(backends);
    }

    /**
     * The map value for this frontend under {@code serviceId}. As kube-proxy does: a Service port with no
     * endpoints at all rejects (TCP reset, ICMP port unreachable); one whose endpoints are all on other
     * nodes while a Local traffic policy applies drops (its traffic "behaves as if it has zero endpoints"
     * for this node, and kube-proxy's iptables rules DROP it).
     */
    public ServiceFrontend withId(int serviceId) {
        return new ServiceFrontend(serviceId, key.address(), key.port(), key.protocol(), key.scope(), externalTrafficLocal,
                internalTrafficLocal, affinityTimeoutSeconds, backends.isEmpty());
    }

    public boolean external() {
        return key.scope() == FrontendScope.EXTERNAL;
    }
}
