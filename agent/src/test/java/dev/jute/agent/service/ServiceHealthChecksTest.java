package dev.jute.agent.service;

import dev.jute.dataplane.bpf.FrontendScope;
import dev.jute.dataplane.bpf.ServiceBackend;
import dev.jute.dataplane.bpf.ServiceFrontend;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The healthCheckNodePort counts: node-local endpoints of the frontends the node programs for the Service. */
class ServiceHealthChecksTest {

    private static final ServiceFrontend.Key SHARED = key("172.18.255.1");

    private static ServiceFrontend.Key key(String address) {
        return new ServiceFrontend.Key(InetAddress.ofLiteral(address), 80, ServiceFrontend.TCP, FrontendScope.EXTERNAL);
    }

    private static Service local(String name, int healthCheckNodePort) {
        return new ServiceBuilder().withNewMetadata().withNamespace("ns").withName(name).endMetadata()
                .withNewSpec().withType("LoadBalancer").withExternalTrafficPolicy("Local")
                .withHealthCheckNodePort(healthCheckNodePort).endSpec().build();
    }

    private static CompiledFrontend frontend(String service, ServiceFrontend.Key key, String... localBackends) {
        List<ServiceBackend> backends = java.util.Arrays.stream(localBackends)
                .map(b -> new ServiceBackend(InetAddress.ofLiteral(b), 8080, true)).toList();
        return new CompiledFrontend(service, "http", key, true, false, 0, backends);
    }

    @Test
    void aFrontendWhoseClaimAnotherServiceWonDoesNotCountForTheLoser() {
        // Both Services claim one LoadBalancer address; ns/a wins it. ns/b has nothing else on this node.
        CompiledFrontend won = frontend("ns/a", SHARED, "10.1.0.2");
        CompiledFrontend lost = frontend("ns/b", SHARED, "10.1.0.3", "10.1.0.4");
        Map<String, List<CompiledFrontend>> claims = Map.of("ns/a", List.of(won), "ns/b", List.of(lost));

        var checks = ServiceAgent.healthChecks(List.of(local("a", 31001), local("b", 31002)),
                service -> claims.getOrDefault(service, List.of()), Map.of(SHARED, won));

        assertEquals(new HealthCheckServers.Check("ns/a", 1), checks.get(31001));
        assertEquals(new HealthCheckServers.Check("ns/b", 0), checks.get(31002),
                "no traffic of ns/b reaches its endpoints here: the balancer must not send it to this node");
    }

    @Test
    void programmedFrontendsCountTheirNodeLocalEndpointsPerFamily() {
        ServiceFrontend.Key v6 = new ServiceFrontend.Key(InetAddress.ofLiteral("fd00::1"), 80, ServiceFrontend.TCP,
                FrontendScope.EXTERNAL);
        CompiledFrontend ipv4 = frontend("ns/a", SHARED, "10.1.0.2", "10.1.0.3");
        CompiledFrontend ipv6 = frontend("ns/a", v6, "fd01::2", "fd01::3");
        var checks = ServiceAgent.healthChecks(List.of(local("a", 31001)), service -> List.of(ipv4, ipv6),
                Map.of(SHARED, ipv4, v6, ipv6));
        assertEquals(new HealthCheckServers.Check("ns/a", 2), checks.get(31001), "a dual-stack pod is one endpoint");
    }
}
