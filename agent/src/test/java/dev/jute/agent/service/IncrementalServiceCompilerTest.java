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
import java.util.Map;
import java.util.Set;

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

    private static ServiceFrontend.Key keyOf(int i) {
        return new ServiceFrontend.Key(InetAddress.ofLiteral("10.96.0." + i), 80, ServiceFrontend.TCP, FrontendScope.INTERNAL);
    }

    private static CompiledFrontend frontendOf(Map<ServiceFrontend.Key, CompiledFrontend> frontends, int i) {
        return frontends.get(keyOf(i));
    }

    /** A full compile of the same inputs gives the same frontends and problems. */
    private static void assertSameAsFullCompile(IncrementalServiceCompiler.Update update, List<Service> services,
                                                List<EndpointSlice> slices) {
        ServiceCompiler.Result full = ServiceCompiler.compile(services, slices, NODE);
        assertEquals(full.frontends(), Map.copyOf(update.frontends()));
        assertEquals(full.problems(), update.problems());
    }

    @Test
    void anUnchangedServiceIsNotCompiledAgainAndAChangedOneIs() {
        List<Service> services = new ArrayList<>(List.of(service(1, "10"), service(2, "11"), service(3, "12")));
        List<EndpointSlice> slices = new ArrayList<>(List.of(slice(1, "20", "10.244.0.1"), slice(2, "21", "10.244.0.2"),
                slice(3, "22", "10.244.0.3")));
        IncrementalServiceCompiler compiler = new IncrementalServiceCompiler();
        IncrementalServiceCompiler.Update first = compiler.compile(services, slices, NODE);
        assertTrue(first.full());
        assertEquals(3, compiler.servicesCompiled());
        assertSameAsFullCompile(first, services, slices);
        CompiledFrontend s1 = frontendOf(first.frontends(), 1);
        CompiledFrontend s3 = frontendOf(first.frontends(), 3);

        IncrementalServiceCompiler.Update idle = compiler.compile(services, slices, NODE);
        assertFalse(idle.full());
        assertEquals(Set.of(), idle.changed(), "nothing changed");
        // An informer re-list brings new instances of unchanged objects: same uid and resourceVersion.
        IncrementalServiceCompiler.Update relisted = compiler.compile(List.of(service(1, "10"), service(2, "11"), service(3, "12")),
                List.of(slice(1, "20", "10.244.0.1"), slice(2, "21", "10.244.0.2"), slice(3, "22", "10.244.0.3")), NODE);
        assertEquals(Set.of(), relisted.changed());
        assertEquals(3, compiler.servicesCompiled());

        slices.set(1, slice(2, "30", "10.244.0.2", "10.244.0.9")); // an endpoint joins s2
        IncrementalServiceCompiler.Update second = compiler.compile(services, slices, NODE);
        assertEquals(4, compiler.servicesCompiled(), "only s2 was compiled again");
        assertEquals(Set.of(keyOf(2)), second.changed());
        assertSameAsFullCompile(second, services, slices);
        assertEquals(2, frontendOf(second.frontends(), 2).backends().size());
        assertSame(s1, frontendOf(second.frontends(), 1), "s1's frontend is reused as the very same object");
        assertSame(s3, frontendOf(second.frontends(), 3));

        services.set(2, service(3, "40").edit().editSpec().withSessionAffinity("ClientIP").endSpec().build());
        IncrementalServiceCompiler.Update third = compiler.compile(services, slices, NODE);
        assertEquals(5, compiler.servicesCompiled(), "only s3 was compiled again");
        assertEquals(Set.of(keyOf(3)), third.changed());
        assertTrue(frontendOf(third.frontends(), 3).affinityTimeoutSeconds() > 0);

        services.remove(0);
        IncrementalServiceCompiler.Update fourth = compiler.compile(services, slices, NODE);
        assertEquals(5, compiler.servicesCompiled(), "a deletion compiles nothing");
        assertEquals(Set.of(keyOf(1)), fourth.changed());
        assertNull(frontendOf(fourth.frontends(), 1));
        assertSameAsFullCompile(fourth, services, slices);

        slices.remove(2); // s3's slice goes
        IncrementalServiceCompiler.Update fifth = compiler.compile(services, slices, NODE);
        assertEquals(6, compiler.servicesCompiled(), "s3 lost its slice: compiled again");
        assertEquals(Set.of(keyOf(3)), fifth.changed());
        assertTrue(frontendOf(fifth.frontends(), 3).backends().isEmpty());
        assertSameAsFullCompile(fifth, services, slices);

        ServiceCompiler.NodeContext moved = new ServiceCompiler.NodeContext("node1", List.of(InetAddress.ofLiteral("172.18.0.2")));
        assertTrue(compiler.compile(services, slices, moved).full());
        assertEquals(8, compiler.servicesCompiled(), "a new node context compiles every Service (two left)");
    }

    @Test
    void objectsWithoutVersionsAreComparedByIdentity() {
        Service s = new ServiceBuilder(service(1, "10")).editMetadata().withResourceVersion(null).endMetadata().build();
        EndpointSlice e = slice(1, "20", "10.244.0.1");
        IncrementalServiceCompiler compiler = new IncrementalServiceCompiler();
        compiler.compile(List.of(s), List.of(e), NODE);
        compiler.compile(List.of(s), List.of(e), NODE);
        assertEquals(1, compiler.servicesCompiled(), "the same instance is unchanged");
        compiler.compile(List.of(new ServiceBuilder(s).build()), List.of(e), NODE);
        assertEquals(2, compiler.servicesCompiled(), "an equal copy without a resourceVersion is compiled again");
    }

    @Test
    void theFirstClaimOfAFrontendWinsAsInAFullCompileAndTheLoserTakesOverWhenItLeaves() {
        Service a = service(1, "10");
        Service b = new ServiceBuilder(service(2, "11")).editSpec().withClusterIPs("10.96.0.1").endSpec().build();
        IncrementalServiceCompiler compiler = new IncrementalServiceCompiler();
        IncrementalServiceCompiler.Update both = compiler.compile(List.of(b, a), List.of(), NODE);
        assertEquals("ns/s1", frontendOf(both.frontends(), 1).service());
        assertSameAsFullCompile(both, List.of(a, b), List.of());
        assertEquals(1, both.problems().size(), both.problems().toString());

        IncrementalServiceCompiler.Update onlyB = compiler.compile(List.of(b), List.of(), NODE);
        assertEquals("ns/s2", frontendOf(onlyB.frontends(), 1).service(), "the other claim takes over");
        assertEquals(Set.of(keyOf(1)), onlyB.changed());
        assertTrue(onlyB.problems().isEmpty());
    }

    @Test
    void aLoserNamingAFrontendTwiceTakesOverWithItsFirstClaim() {
        Service a = service(1, "10");
        // Two ports on one frontend (port 80/TCP): the "http" claim comes first and must be the one that counts.
        Service b = new ServiceBuilder(service(2, "11")).editSpec().withClusterIPs("10.96.0.1").addNewPort().withName("alt")
                .withPort(80).withProtocol("TCP").endPort().endSpec().build();
        IncrementalServiceCompiler compiler = new IncrementalServiceCompiler();
        compiler.compile(List.of(a), List.of(), NODE);
        IncrementalServiceCompiler.Update both = compiler.compile(List.of(a, b), List.of(), NODE);
        assertSameAsFullCompile(both, List.of(a, b), List.of());
        assertEquals(List.of("ns/s2: frontend " + keyOf(1) + " is already used by ns/s1"), both.problems(), "one problem per lost frontend");

        IncrementalServiceCompiler.Update onlyB = compiler.compile(List.of(b), List.of(), NODE);
        assertSameAsFullCompile(onlyB, List.of(b), List.of());
        assertEquals("http", frontendOf(onlyB.frontends(), 1).portName(), "b's first claim takes over");
    }

    @Test
    void aSkippedServiceWithoutFrontendsStillUpdatesTheProblems() {
        Service a = service(1, "10");
        Service bad = new ServiceBuilder(service(2, "11")).editSpec().withClusterIPs("10.96.0.300").endSpec().build();
        IncrementalServiceCompiler compiler = new IncrementalServiceCompiler();
        compiler.compile(List.of(a), List.of(), NODE);
        IncrementalServiceCompiler.Update added = compiler.compile(List.of(a, bad), List.of(), NODE);
        assertEquals(Set.of(), added.changed(), "a skipped Service has no frontends");
        assertEquals(1, added.problems().size(), added.problems().toString());
        assertSameAsFullCompile(added, List.of(a, bad), List.of());

        IncrementalServiceCompiler.Update removed = compiler.compile(List.of(a), List.of(), NODE);
        assertEquals(List.of(), removed.problems(), "the deleted Service's problem goes with it");
    }
}
