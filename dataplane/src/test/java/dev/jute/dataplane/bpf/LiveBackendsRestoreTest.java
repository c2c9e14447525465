package dev.jute.dataplane.bpf;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An upgrade from an agent that predates {@code live_backends}: its pins hold frontends, backend slots
 * and established connections, but no live set. Whichever loader the new agent opens first (the policy
 * dataplane, whose from_pod/to_pod are attached to pod links right after; the Service dataplane; the
 * socket-LB) must fill the new, empty live set from the slots before it returns, or the programs retire
 * every adopted connection. Needs root (a private BPF filesystem); nothing is attached.
 *
 * <p>Its names ({@value #PREFIX}) are its own: other BPF test classes remove every {@code jutebpf-} name.
 */
class LiveBackendsRestoreTest {

    private static final String PREFIX = "jutelive-";
    private static final ServiceBackend LOCAL = backend("10.78.0.2", true);
    private static final ServiceBackend REMOTE = backend("10.78.1.2", false);
    private static final ServiceBackend OTHER = backend("10.78.0.3", true);
    private static final ServiceFrontend WEB = frontend(7, "10.96.0.10");
    private static final ServiceFrontend DNS = frontend(8, "10.96.0.53");

    private BpfTestEnvironment environment;
    private Path pins;

    private static ServiceBackend backend(String address, boolean local) {
        return new ServiceBackend(InetAddress.ofLiteral(address), 8080, local);
    }

    private static ServiceFrontend frontend(int id, String vip) {
        return new ServiceFrontend(id, InetAddress.ofLiteral(vip), 80, ServiceFrontend.TCP, FrontendScope.INTERNAL,
                false, false, 0, true);
    }

    @BeforeEach
    void setUp() throws Exception {
        BpfTestEnvironment.assumeBpf();
        BpfTestEnvironment.removeLeftovers(PREFIX);
        environment = new BpfTestEnvironment(PREFIX);
        pins = environment.bpfFilesystem().resolve("node");
        // What the older agent left: frontends with their slots (and, here, their live pairs, removed below).
        try (ServiceDataplane older = ServiceDataplane.open(pins)) {
            older.maps().upsertServices(Map.of(WEB, List.of(LOCAL, REMOTE), DNS, List.of(OTHER)));
        }
        Files.delete(pins.resolve(ServiceMaps.LIVE_BACKENDS));
    }

    @AfterEach
    void tearDown() {
        if (environment != null) {
            environment.close();
        }
    }

    private void assertLiveSetComplete() {
        try (ServiceMaps maps = ServiceMaps.openPinned(pins)) {
            assertTrue(maps.isLive(WEB.serviceId(), LOCAL));
            assertTrue(maps.isLive(WEB.serviceId(), REMOTE));
            assertTrue(maps.isLive(DNS.serviceId(), OTHER));
            assertEquals(3, maps.map(ServiceMaps.LIVE_BACKENDS).keys().size(), "exactly the slots' pairs");
        }
    }

    private void opensWithCompleteLiveSet(Consumer<Path> loader) {
        assertFalse(Files.exists(pins.resolve(ServiceMaps.LIVE_BACKENDS)), "the older agent's pins have no live set");
        loader.accept(pins);
        assertLiveSetComplete();
        loader.accept(pins); // idempotent
        assertLiveSetComplete();
    }

    @Test
    void thePolicyDataplaneFillsTheLiveSetBeforeItsProgramsCanBeAttached() {
        opensWithCompleteLiveSet(p -> PolicyDataplane.open(p).close());
    }

    @Test
    void theServiceDataplaneFillsTheLiveSetBeforeFromNetdevCanBeAttached() {
        opensWithCompleteLiveSet(p -> ServiceDataplane.open(p).close());
    }

    @Test
    void theSocketLoadBalancerFillsTheLiveSetBeforeItsHooksCanBeAttached() {
        opensWithCompleteLiveSet(p -> SocketLoadBalancer.open(p).close());
    }
}
