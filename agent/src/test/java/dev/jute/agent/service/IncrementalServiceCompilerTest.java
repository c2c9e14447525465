package dev.jute.agent.service;

import dev.jute.dataplane.bpf.FrontendScope;
import dev.jute.dataplane.bpf.ServiceFrontend;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Only Services whose inputs changed are compiled again; the result always equals a full compile. */
class IncrementalServiceCompilerTest {

    private static final ServiceCompiler.NodeContext NODE = new ServiceCompiler.NodeContext("node1", List.of());

    private static Service service(int i, String resourceVersion) {
        return new ServiceBuilder().withNewMetadata().withNamespace("ns").withName("s" + i).withUid("uid-s" + i)
                .withResourceVersion(resourceVersion).endMetadata().withNewSpec().withType("ClusterIP")
                .withClusterIPs("10.96.0." + i).addNewPort().withName("http").withPort(80).withProtocol("TCP").endPort()
                .endSpec().build();
    }

    private static EndpointSlice slice(int i, String resourceVersion, String... addresses) {
        EndpointSliceBuilder builder = new EndpointSliceBuilder().withNewMetadata().withNamespace("ns").withName("s" + i + "-x")
                .withUid("uid-e" + i).withResourceVersion(resourceVersion).addToLabels("kubernetes.io/service-name", "s" + i)
                .endMetadata().withAddressType("IPv4").addNewPort().withName("http").withPort(8080).withProtocol("TCP").endPort();
        for (String address : addresses) {
            builder.addToEndpoints(new EndpointBuilder().withAddresses(address).withNodeName("node2").build());
        }
        return builder.build();
    }

    private static CompiledFrontend frontendOf(ServiceCompiler.Result result, int i) {
        return result.frontends().get(new ServiceFrontend.Key(InetAddress.ofLiteral("10.96.0." + i), 80, ServiceFrontend.TCP,
                FrontendScope.INTERNAL));
    }

    @Test
    void anUnchangedServiceIsNotCompiledAgainAndAChangedOneIs() {
        List<Service> services = new ArrayList<>(List.of(service(1, "10"), service(2, "11"), service(3, "12")));
        List<EndpointSlice> slices = new ArrayList<>(List.of(slice(1, "20", "10.244.0.1"), slice(2, "21", "10.244.0.2"),
                slice(3, "22", "10.244.0.3")));
        IncrementalServiceCompiler compiler = new IncrementalServiceCompiler();
        ServiceCompiler.Result first = compiler.compile(services, slices, NODE);
        assertEquals(3, compiler.servicesCompiled());
        assertEquals(ServiceCompiler.compile(services, slices, NODE), first);

        assertSame(first, compiler.compile(services, slices, NODE), "nothing changed: the same result");
        // An informer re-list brings new instances of unchanged objects: same uid and resourceVersion.
        assertSame(first, compiler.compile(List.of(service(1, "10"), service(2, "11"), service(3, "12")),
                List.of(slice(1, "20", "10.244.0.1"), slice(2, "21", "10.244.0.2"), slice(3, "22", "10.244.0.3")), NODE));
        assertEquals(3, compiler.servicesCompiled());

        slices.set(1, slice(2, "30", "10.244.0.2", "10.244.0.9")); // an endpoint joins s2
        ServiceCompiler.Result second = compiler.compile(services, slices, NODE);
        assertEquals(4, compiler.servicesCompiled(), "only s2 was compiled again");
        assertEquals(ServiceCompiler.compile(services, slices, NODE), second);
        assertEquals(2, frontendOf(second, 2).backends().size());
        assertSame(frontendOf(first, 1), frontendOf(second, 1), "s1's frontend is reused as the very same object");
        assertSame(frontendOf(first, 3), frontendOf(second, 3));

        services.set(2, service(3, "40").edit().editSpec().withSessionAffinity("ClientIP").endSpec().build());
        ServiceCompiler.Result third = compiler.compile(services, slices, NODE);
        assertEquals(5, compiler.servicesCompiled(), "only s3 was compiled again");
        assertTrue(frontendOf(third, 3).affinityTimeoutSeconds() > 0);

        services.remove(0);
        ServiceCompiler.Result fourth = compiler.compile(services, slices, NODE);
        assertEquals(5, compiler.servicesCompiled(), "a deletion compiles nothing");
        assertNull(frontendOf(fourth, 1));
        assertEquals(ServiceCompiler.compile(services, slices, NODE), fourth);

        ServiceCompiler.NodeContext moved = new ServiceCompiler.NodeContext("node1", List.of(InetAddress.ofLiteral("172.18.0.2")));
        compiler.compile(services, slices, moved);
        assertEquals(7, compiler.servicesCompiled(), "a new node context compiles every Service");
    }

    @Test
    void objectsWithoutVersionsAreComparedByIdentityAndASliceLeavingCounts() {
        Service s = new ServiceBuilder(service(1, "10")).editMetadata().withResourceVersion(null).endMetadata().build();
        EndpointSlice e = slice(1, "20", "10.244.0.1");
        IncrementalServiceCompiler compiler = new IncrementalServiceCompiler();
        compiler.compile(List.of(s), List.of(e), NODE);
        compiler.compile(List.of(s), List.of(e), NODE);
        assertEquals(1, compiler.servicesCompiled(), "the same instance is unchanged");
        compiler.compile(List.of(new ServiceBuilder(s).build()), List.of(e), NODE);
        assertEquals(2, compiler.servicesCompiled(), "an equal copy without a resourceVersion is compiled again");
        ServiceCompiler.Result withoutSlice = compiler.compile(List.of(s), List.of(), NODE);
        assertEquals(3, compiler.servicesCompiled());
        assertTrue(frontendOf(withoutSlice, 1).backends().isEmpty());
    }

    @Test
    void theFirstClaimOfAFrontendWinsAsInAFullCompile() {
        Service a = service(1, "10");
        Service b = new ServiceBuilder(service(2, "11")).editSpec().withClusterIPs("10.96.0.1").endSpec().build();
        IncrementalServiceCompiler compiler = new IncrementalServiceCompiler();
        ServiceCompiler.Result result = compiler.compile(List.of(b, a), List.of(), NODE);
        assertEquals("ns/s1", frontendOf(result, 1).service());
        assertEquals(ServiceCompiler.compile(List.of(a, b), List.of(), NODE), result);
        assertEquals(1, result.problems().size(), result.problems().toString());
    }
}
