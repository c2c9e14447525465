package dev.jute.agent.service;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Which LoadBalancer addresses a node announces: every node for eTP Cluster, only nodes with a local backend for eTP Local. */
class LoadBalancerAnnouncementsTest {

    private static final ServiceCompiler.NodeContext NODE1 = new ServiceCompiler.NodeContext("node1",
            List.of(ip("172.18.0.2"), ip("fc00::2")));
    private static final ServiceCompiler.NodeContext NODE2 = new ServiceCompiler.NodeContext("node2",
            List.of(ip("172.18.0.3"), ip("fc00::3")));

    private static InetAddress ip(String literal) {
        return InetAddress.ofLiteral(literal);
    }

    /** A LoadBalancer Service {@code ns/name} on port 80 with the given policy and ingress addresses. */
    private static Service loadBalancer(String name, String externalTrafficPolicy, String... ingress) {
        ServiceBuilder builder = new ServiceBuilder().withNewMetadata().withNamespace("ns").withName(name).endMetadata()
                .withNewSpec().withType("LoadBalancer").withClusterIP("10.96.0.10").withClusterIPs("10.96.0.10", "fd00:96::10")
                .withExternalTrafficPolicy(externalTrafficPolicy)
                .addNewPort().withName("http").withPort(80).withProtocol("TCP").withNodePort(30080).endPort().endSpec();
        if (ingress.length > 0) {
            var lb = builder.withNewStatus().withNewLoadBalancer();
            for (String address : ingress) {
                lb = lb.addNewIngress().withIp(address).endIngress();
            }
            builder = lb.endLoadBalancer().endStatus();
        }
        return builder.build();
    }

    /** One endpoint of {@code service}'s "http" port: address, node, ready, serving, terminating. */
    private static EndpointSlice slice(String service, String addressType, String address, String node, boolean ready, boolean terminating) {
        return new EndpointSliceBuilder().withNewMetadata().withNamespace("ns").withName(service + "-" + address.replace(':', '-'))
                .addToLabels("kubernetes.io/service-name", service).endMetadata().withAddressType(addressType)
                .addNewPort().withName("http").withPort(8080).withProtocol("TCP").endPort()
                .addToEndpoints(new EndpointBuilder().withAddresses(address).withNodeName(node).withNewConditions()
                        .withReady(ready).withServing(ready || terminating).withTerminating(terminating).endConditions().build())
                .build();
    }

    private static Set<InetAddress> announced(ServiceCompiler.NodeContext node, List<Service> services, List<EndpointSlice> slices) {
        return LoadBalancerAnnouncements.of(services, ServiceCompiler.compile(services, slices, node).frontends());
    }

    @Test
    void clusterPolicyIsAnnouncedByEveryNodeWhateverItsEndpoints() {
        List<Service> services = List.of(loadBalancer("web", "Cluster", "172.18.255.1"));
        List<EndpointSlice> onNode1 = List.of(slice("web", "IPv4", "10.244.1.5", "node1", true, false));
        assertEquals(Set.of(ip("172.18.255.1")), announced(NODE1, services, onNode1));
        assertEquals(Set.of(ip("172.18.255.1")), announced(NODE2, services, onNode1), "node2 forwards to node1's endpoint");
        assertEquals(Set.of(ip("172.18.255.1")), announced(NODE2, services, List.of()),
                "no endpoint at all: still announced, the node refuses at once instead of the route flapping");
    }

    @Test
    void localPolicyIsAnnouncedOnlyByNodesWithALocalBackend() {
        List<Service> services = List.of(loadBalancer("web", "Local", "172.18.255.2"));
        List<EndpointSlice> onNode1 = List.of(slice("web", "IPv4", "10.244.1.5", "node1", true, false));
        assertEquals(Set.of(ip("172.18.255.2")), announced(NODE1, services, onNode1));
        assertEquals(Set.of(), announced(NODE2, services, onNode1), "node2 would drop the traffic");
        assertEquals(Set.of(), announced(NODE1, services, List.of()));
    }

    @Test
    void localPolicyFollowsTheBackendsTheDataplaneUses() {
        List<Service> services = List.of(loadBalancer("web", "Local", "172.18.255.3"));
        // A local endpoint that is not ready while a remote one is: the local one is no backend.
        List<EndpointSlice> localNotReady = List.of(slice("web", "IPv4", "10.244.1.5", "node1", false, false),
                slice("web", "IPv4", "10.244.2.5", "node2", true, false));
        assertEquals(Set.of(), announced(NODE1, services, localNotReady));
        assertEquals(Set.of(ip("172.18.255.3")), announced(NODE2, services, localNotReady));
        // Nothing ready anywhere: serving terminating endpoints are used (KEP-1669), so they attract traffic.
        List<EndpointSlice> terminating = List.of(slice("web", "IPv4", "10.244.1.5", "node1", false, true));
        assertEquals(Set.of(ip("172.18.255.3")), announced(NODE1, services, terminating));
    }

    @Test
    void eachFamilyNeedsALocalBackendOfItsOwnFamily() {
        List<Service> services = List.of(loadBalancer("web", "Local", "172.18.255.4", "fd00:ff::4"));
        List<EndpointSlice> ipv4Only = List.of(slice("web", "IPv4", "10.244.1.5", "node1", true, false));
        assertEquals(Set.of(ip("172.18.255.4")), announced(NODE1, services, ipv4Only));
        List<EndpointSlice> dualStack = List.of(slice("web", "IPv4", "10.244.1.5", "node1", true, false),
                slice("web", "IPv6", "fd00:244:1::5", "node1", true, false));
        assertEquals(Set.of(ip("172.18.255.4"), ip("fd00:ff::4")), announced(NODE1, services, dualStack));
        List<Service> cluster = List.of(loadBalancer("web", "Cluster", "172.18.255.4", "fd00:ff::4"));
        assertEquals(Set.of(ip("172.18.255.4"), ip("fd00:ff::4")), announced(NODE2, cluster, List.of()));
    }

    @Test
    void onlyLoadBalancerIngressAddressesOfProgrammedServices() {
        Service pending = loadBalancer("pending", "Cluster");
        Service withExternalIp = new ServiceBuilder().withNewMetadata().withNamespace("ns").withName("ext").endMetadata()
                .withNewSpec().withType("ClusterIP").withClusterIP("10.96.0.11").withExternalIPs("192.0.2.10")
                .addNewPort().withPort(80).withProtocol("TCP").endPort().endSpec().build();
        Service unprogrammable = loadBalancer("icmp", "Cluster", "172.18.255.5");
        unprogrammable.getSpec().getPorts().getFirst().setProtocol("ICMP");
        Service good = loadBalancer("good", "Cluster", "172.18.255.6");
        assertEquals(Set.of(ip("172.18.255.6")), announced(NODE1, List.of(pending, withExternalIp, unprogrammable, good), List.of()),
                "no address yet, externalIPs and NodePorts are not announced; a Service the compiler skipped is not either");
    }

    @Test
    void anAddressSharedByTwoServicesIsAnnouncedWhenEitherWantsIt() {
        Service local = loadBalancer("a", "Local", "172.18.255.8");
        Service cluster = loadBalancer("b", "Cluster", "172.18.255.8");
        cluster.getSpec().getPorts().getFirst().setPort(443);
        assertEquals(Set.of(ip("172.18.255.8")), announced(NODE2, List.of(local, cluster), List.of()));
        assertEquals(Set.of(), announced(NODE2, List.of(local), List.of()));
    }
}
