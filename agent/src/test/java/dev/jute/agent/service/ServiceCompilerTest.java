package dev.jute.agent.service;

import dev.jute.dataplane.bpf.FrontendScope;
import dev.jute.dataplane.bpf.ServiceBackend;
import dev.jute.dataplane.bpf.ServiceFrontend;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ServiceCompilerTest {

    private static final ServiceCompiler.NodeContext NODE = new ServiceCompiler.NodeContext("node1",
            List.of(ip("172.18.0.2"), ip("fc00::2")));

    private static InetAddress ip(String literal) {
        return InetAddress.ofLiteral(literal);
    }

    private static ServiceBuilder service(String name, String type) {
        return new ServiceBuilder().withNewMetadata().withNamespace("ns").withName(name).endMetadata()
                .withNewSpec().withType(type).withClusterIP("10.96.0.10").withClusterIPs("10.96.0.10").endSpec();
    }

    private static EndpointSlice slice(String service, String portName, int port, String protocol, Object[]... endpoints) {
        EndpointSliceBuilder builder = new EndpointSliceBuilder().withNewMetadata().withNamespace("ns").withName(service + "-x")
                .addToLabels("kubernetes.io/service-name", service).endMetadata().withAddressType("IPv4")
                .addNewPort().withName(portName).withPort(port).withProtocol(protocol).endPort();
        for (Object[] e : endpoints) {
            builder.addToEndpoints(new EndpointBuilder().withAddresses((String) e[0]).withNodeName((String) e[1])
                    .withNewConditions().withReady((Boolean) e[2]).withServing((Boolean) e[3]).withTerminating((Boolean) e[4])
                    .endConditions().build());
        }
        return builder.build();
    }

    private static Object[] endpoint(String address, String node, boolean ready, boolean serving, boolean terminating) {
        return new Object[]{address, node, ready, serving, terminating};
    }

    private static CompiledFrontend frontend(ServiceCompiler.Result result, String address, int port, int protocol, FrontendScope scope) {
        CompiledFrontend f = result.frontends().get(new ServiceFrontend.Key(ip(address), port, protocol, scope));
        if (f == null) {
            throw new AssertionError("no frontend " + address + ":" + port + " " + scope + " in " + result.frontends().keySet());
        }
        return f;
    }

    @Test
    void clusterIpPortsResolveThroughTheSlicePortOfTheSameNameAndProtocol() {
        Service svc = service("web", "ClusterIP").editSpec()
                .addNewPort().withName("http").withPort(80).withProtocol("TCP").withTargetPort(new IntOrString("serve")).endPort()
                .addNewPort().withName("dns").withPort(53).withProtocol("UDP").withTargetPort(new IntOrString(5353)).endPort()
                .endSpec().build();
        EndpointSlice tcp = slice("web", "http", 8080, "TCP", endpoint("10.244.1.5", "node1", true, true, false),
                endpoint("10.244.2.5", "node2", true, true, false));
        EndpointSlice udp = slice("web", "dns", 5353, "UDP", endpoint("10.244.1.5", "node1", true, true, false));
        udp.getMetadata().setName("web-y");
        ServiceCompiler.Result result = ServiceCompiler.compile(List.of(svc), List.of(tcp, udp), NODE);
        assertEquals(2, result.frontends().size(), result.frontends().keySet().toString());
        assertEquals(List.of(new ServiceBackend(ip("10.244.1.5"), 8080, true), new ServiceBackend(ip("10.244.2.5"), 8080, false)),
                frontend(result, "10.96.0.10", 80, ServiceFrontend.TCP, FrontendScope.INTERNAL).backends());
        assertEquals(List.of(new ServiceBackend(ip("10.244.1.5"), 5353, true)),
                frontend(result, "10.96.0.10", 53, ServiceFrontend.UDP, FrontendScope.INTERNAL).backends());
        assertTrue(result.problems().isEmpty());
    }

    @Test
    void terminatingServingEndpointsAreUsedOnlyWithoutReadyOnes() {
        Service svc = service("web", "ClusterIP").editSpec().addNewPort().withPort(80).withProtocol("TCP").endPort().endSpec().build();
        EndpointSlice mixed = slice("web", "", 80, "TCP", endpoint("10.244.1.5", "node1", true, true, false),
                endpoint("10.244.1.6", "node1", false, true, true), endpoint("10.244.1.7", "node1", false, false, false));
        assertEquals(List.of(ip("10.244.1.5")), frontend(ServiceCompiler.compile(List.of(svc), List.of(mixed), NODE),
                "10.96.0.10", 80, ServiceFrontend.TCP, FrontendScope.INTERNAL).backends().stream().map(ServiceBackend::address).toList());
        EndpointSlice draining = slice("web", "", 80, "TCP", endpoint("10.244.1.6", "node1", false, true, true),
                endpoint("10.244.1.8", "node1", false, false, true), endpoint("10.244.1.7", "node1", false, false, false));
        assertEquals(List.of(ip("10.244.1.6")), frontend(ServiceCompiler.compile(List.of(svc), List.of(draining), NODE),
                "10.96.0.10", 80, ServiceFrontend.TCP, FrontendScope.INTERNAL).backends().stream().map(ServiceBackend::address).toList());
        EndpointSlice none = slice("web", "", 80, "TCP", endpoint("10.244.1.7", "node1", false, false, false));
        assertTrue(frontend(ServiceCompiler.compile(List.of(svc), List.of(none), NODE),
                "10.96.0.10", 80, ServiceFrontend.TCP, FrontendScope.INTERNAL).backends().isEmpty(),
                "no eligible endpoint still programs the frontend, which rejects");
    }

    @Test
    void nodePortAndLoadBalancerGetExternalAndInternalFrontendsWithTrafficPolicies() {
        Service svc = service("lb", "LoadBalancer").editSpec().withExternalTrafficPolicy("Local").withInternalTrafficPolicy("Local")
                .withSessionAffinity("ClientIP").withNewSessionAffinityConfig().withNewClientIP().withTimeoutSeconds(30).endClientIP()
                .endSessionAffinityConfig()
                .addNewPort().withName("http").withPort(80).withNodePort(30080).withProtocol("TCP").endPort().endSpec()
                .withNewStatus().withNewLoadBalancer().addNewIngress().withIp("172.18.255.1").endIngress().endLoadBalancer().endStatus()
                .build();
        EndpointSlice endpoints = slice("lb", "http", 8080, "TCP", endpoint("10.244.1.5", "node1", true, true, false),
                endpoint("10.244.2.5", "node2", true, true, false));
        ServiceCompiler.Result result = ServiceCompiler.compile(List.of(svc), List.of(endpoints), NODE);
        // ClusterIP; LB IP external + internal; NodePort on the IPv4 node address external + internal
        // (none on the IPv6 node address: the Service is IPv4 only, and kube-proxy works per family).
        CompiledFrontend clusterIp = frontend(result, "10.96.0.10", 80, ServiceFrontend.TCP, FrontendScope.INTERNAL);
        assertTrue(clusterIp.internalTrafficLocal());
        assertEquals(30, clusterIp.affinityTimeoutSeconds());
        CompiledFrontend lbExternal = frontend(result, "172.18.255.1", 80, ServiceFrontend.TCP, FrontendScope.EXTERNAL);
        assertTrue(lbExternal.externalTrafficLocal());
        assertEquals(2, lbExternal.backends().size());
        assertFalse(frontend(result, "172.18.255.1", 80, ServiceFrontend.TCP, FrontendScope.INTERNAL).internalTrafficLocal());
        CompiledFrontend nodePort = frontend(result, "172.18.0.2", 30080, ServiceFrontend.TCP, FrontendScope.EXTERNAL);
        assertTrue(nodePort.externalTrafficLocal());
        assertEquals(Map.of(ip("10.244.1.5"), true, ip("10.244.2.5"), false), Map.of(
                nodePort.backends().get(0).address(), nodePort.backends().get(0).nodeLocal(),
                nodePort.backends().get(1).address(), nodePort.backends().get(1).nodeLocal()));
        frontend(result, "172.18.0.2", 30080, ServiceFrontend.TCP, FrontendScope.INTERNAL);
        assertTrue(result.frontends().keySet().stream().noneMatch(k -> k.address().equals(ip("fc00::2"))), result.frontends().toString());
        assertEquals(5, result.frontends().size());
        // With endpoints on other nodes only, a Local policy drops (kube-proxy's DROP); with none at all, it rejects.
        assertFalse(clusterIp.withId(1).rejectWithoutBackends(), "endpoints exist (if not here): drop, not reject");
        CompiledFrontend empty = frontend(ServiceCompiler.compile(List.of(svc), List.of(), NODE), "10.96.0.10", 80,
                ServiceFrontend.TCP, FrontendScope.INTERNAL);
        assertTrue(empty.withId(1).rejectWithoutBackends(), "no endpoints at all: reject");
    }

    @Test
    void headlessExternalNameAndBadServicesGetNothing() {
        Service headless = service("db", "ClusterIP").editSpec().withClusterIP("None").withClusterIPs("None")
                .addNewPort().withPort(5432).endPort().endSpec().build();
        Service externalName = new ServiceBuilder().withNewMetadata().withNamespace("ns").withName("ext").endMetadata()
                .withNewSpec().withType("ExternalName").withExternalName("example.com").endSpec().build();
        Service badProtocol = service("bad", "ClusterIP").editSpec().addNewPort().withPort(1).withProtocol("ICMP").endPort().endSpec().build();
        badProtocol.getSpec().setClusterIPs(List.of("10.96.0.11"));
        Service good = service("good", "ClusterIP").editSpec().withClusterIPs("10.96.0.12").addNewPort().withPort(80).endPort().endSpec().build();
        ServiceCompiler.Result result = ServiceCompiler.compile(List.of(headless, externalName, badProtocol, good), List.of(), NODE);
        assertEquals(1, result.frontends().size(), result.frontends().keySet().toString());
        assertEquals(1, result.problems().size());
        assertTrue(result.problems().getFirst().startsWith("ns/bad: protocol ICMP"), result.problems().toString());
    }

    @Test
    void loadBalancerIpamKeepsHeldAddressesHonoursRequestsAndSkipsNetworkAndBroadcast() {
        LoadBalancerIpam pool = LoadBalancerIpam.parse("172.18.255.0/30");
        Service held = service("a", "LoadBalancer").withNewStatus().withNewLoadBalancer().addNewIngress().withIp("172.18.255.2")
                .endIngress().endLoadBalancer().endStatus().build();
        Service fresh = service("b", "LoadBalancer").build();
        Service other = service("c", "LoadBalancer").build();
        Service classed = service("d", "LoadBalancer").editSpec().withLoadBalancerClass("example.com/lb").endSpec().build();
        Map<String, InetAddress> assigned = pool.assign(List.of(fresh, other, held, classed));
        assertEquals(Map.of("ns/a", ip("172.18.255.2"), "ns/b", ip("172.18.255.1")), assigned,
                "a keeps .2, b gets .1, c finds the pool exhausted (.0 and .3 are never used), d is not ours");
        assertEquals(ip("172.18.255.2"), LoadBalancerIpam.parse("172.18.255.0/24")
                .assign(List.of(service("e", "LoadBalancer").editSpec().withLoadBalancerIP("172.18.255.2").endSpec().build()))
                .get("ns/e"));
    }
}
