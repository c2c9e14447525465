package dev.jute.agent.service;

import dev.jute.dataplane.bpf.ServiceBackend;
import dev.jute.dataplane.bpf.ServiceFrontend;
import io.fabric8.kubernetes.api.model.Service;

import java.net.InetAddress;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which LoadBalancer addresses this node should attract traffic for, as MetalLB and Cilium decide it:
 * <ul>
 *   <li>{@code externalTrafficPolicy: Cluster}: every node that programmed the address, whatever its
 *       endpoints, since every node forwards to any endpoint (or refuses at once when there is none:
 *       better for a client than a route that flaps with every rollout);</li>
 *   <li>{@code externalTrafficPolicy: Local}: only nodes with a node-local backend for it (ready, or
 *       serving-terminating when none is ready, exactly the backends {@code from_netdev} would use), since
 *       any other node drops that traffic.</li>
 * </ul>
 * Only addresses in {@code status.loadBalancer.ingress} of LoadBalancer Services, and only those among
 * the node's compiled frontends (a Service the compiler skipped is not announced). {@code externalIPs} and
 * NodePorts are not announced: their routing is the administrator's, as with kube-proxy. Pure, so the
 * rules are unit-tested.
 */
public final class LoadBalancerAnnouncements {

    private LoadBalancerAnnouncements() {
    }

    /**
     * @param frontends the compiled frontends the node should program: the winning claim of each (a
     *                  conflict's loser is not among them). The agent calls this after the syncer wrote
     *                  them, so they are what the maps hold then.
     */
    public static Set<InetAddress> of(List<Service> services, Map<ServiceFrontend.Key, CompiledFrontend> frontends) {
        Map<String, List<InetAddress>> ingressByService = new HashMap<>();
        for (Service service : services) {
            if (service.getSpec() != null && "LoadBalancer".equals(service.getSpec().getType())) {
                ingressByService.put(ServiceCompiler.keyOf(service), LoadBalancerIpam.ingressIps(service));
            }
        }
        Set<InetAddress> addresses = new LinkedHashSet<>();
        for (CompiledFrontend frontend : frontends.values()) {
            List<InetAddress> ingress = ingressByService.get(frontend.service());
            if (!frontend.external() || ingress == null || !ingress.contains(frontend.key().address())) {
                continue;
            }
            if (!frontend.externalTrafficLocal() || frontend.backends().stream().anyMatch(ServiceBackend::nodeLocal)) {
                addresses.add(frontend.key().address());
            }
        }
        return Set.copyOf(addresses);
    }
}
