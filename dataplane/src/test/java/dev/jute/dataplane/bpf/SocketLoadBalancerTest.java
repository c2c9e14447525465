package dev.jute.dataplane.bpf;

import dev.jute.dataplane.Cgroup2;
import dev.jute.dataplane.NetNamespace;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The socket-LB hooks with real sockets: a node namespace with two backend pods (socat servers
 * answering their name) and a cgroup of its own (never the host's root cgroup). A process of the
 * node namespace in that cgroup reaches the ClusterIP (both backends, TCP and UDP), is refused at
 * once without backends; a process outside the cgroup, or inside it but in another namespace, is not
 * translated. A second loader adopts the pinned links in place; detaching removes them.
 */
class SocketLoadBalancerTest {

    private static final String CGROUP_PREFIX = "jutebpf-socklb-";
    private static final String NODE_IPV4 = "10.98.0.1";
    private static final String BACKEND1 = "10.78.0.2";
    private static final String BACKEND2 = "10.78.0.3";
    private static final String VIP = "10.96.7.10";

    private BpfTestEnvironment environment;
    private TestCgroup testCgroup;
    private Path cgroup;
    private String node;
    private final List<Process> processes = new ArrayList<>();

    @BeforeEach
    void setUp() throws IOException {
        BpfTestEnvironment.assumeBpf();
        Assumptions.assumeTrue(BpfTestEnvironment.onPath("socat") && BpfTestEnvironment.onPath("ss"),
                "needs `socat` and `ss` for real traffic: skipped");
        BpfTestEnvironment.removeLeftovers();
        testCgroup = TestCgroup.create(CGROUP_PREFIX);
        cgroup = testCgroup.path();
        environment = new BpfTestEnvironment();
    }

    @AfterEach
    void tearDown() {
        BpfTestEnvironment.stopAll(processes);
        if (environment != null) {
            environment.close();
        }
        if (testCgroup != null) {
            testCgroup.close();
        }
    }

    private void serve(String pod, String name) throws Exception {
        processes.add(new ProcessBuilder("ip", "netns", "exec", pod, "socat", "TCP-LISTEN:8080,fork,reuseaddr",
                "SYSTEM:echo " + name).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start());
        processes.add(new ProcessBuilder("ip", "netns", "exec", pod, "socat", "UDP-RECVFROM:5353,fork",
                "SYSTEM:echo " + name).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start());
        for (int i = 0; i < 50; i++) {
            String listening = BpfTestEnvironment.run("ip", "netns", "exec", pod, "ss", "-lntuH");
            if (listening.contains(":8080 ") && listening.contains(":5353 ")) {
                return;
            }
            Thread.sleep(50);
        }
        fail("servers of " + name + " did not start");
    }

    /** {@code command} in {@code namespace}, inside the test cgroup or not. */
    private BpfTestEnvironment.Result run(boolean inCgroup, String namespace, String... command) {
        List<String> full = new ArrayList<>();
        if (inCgroup) {
            // The shell moves itself into the cgroup, then becomes the client: its sockets are the cgroup's.
            full.addAll(List.of("sh", "-c", "echo $$ > \"$0\" && exec \"$@\"", cgroup.resolve("cgroup.procs").toString()));
        }
        full.addAll(List.of("ip", "netns", "exec", namespace));
        full.addAll(List.of(command));
        return BpfTestEnvironment.execute(10, full.toArray(String[]::new));
    }

    private BpfTestEnvironment.Result tcp(boolean inCgroup, String namespace) {
        return run(inCgroup, namespace, "socat", "-T2", "-", "TCP:" + VIP + ":80,connect-timeout=2");
    }

    private Set<String> greetings(int connections) {
        Set<String> names = new HashSet<>();
        for (int i = 0; i < connections; i++) {
            BpfTestEnvironment.Result result = tcp(true, node);
            assertEquals(0, result.exitCode(), () -> "connection to the VIP failed: " + result.stderr());
            names.add(result.stdout().strip());
        }
        return names;
    }

    @Test
    void hostSocketsOfTheNodeCgroupReachTheClusterIp() throws Exception {
        node = environment.createNamespace("socknode");
        String other = environment.createNamespace("sockother");
        String pod1 = environment.createNamespace("sockpod1");
        String pod2 = environment.createNamespace("sockpod2");
        Path pins = environment.bpfFilesystem().resolve("jute").resolve("sock-node");
        // The node's own address: the source of its connections to pods.
        BpfTestEnvironment.run("ip", "-n", node, "addr", "add", NODE_IPV4 + "/32", "dev", "lo");
        long nodeCookie;
        try (NetNamespace nodeNamespace = BpfTestEnvironment.open(node)) {
            BpfTestEnvironment.wirePod(nodeNamespace, pod1, "sock-backend-1", BACKEND1);
            BpfTestEnvironment.wirePod(nodeNamespace, pod2, "sock-backend-2", BACKEND2);
            nodeCookie = nodeNamespace.call(SocketLoadBalancer::currentNetnsCookie);
        }
        serve(pod1, "backend-1");
        serve(pod2, "backend-2");
        long otherCookie;
        try (NetNamespace otherNamespace = BpfTestEnvironment.open(other)) {
            otherCookie = otherNamespace.call(SocketLoadBalancer::currentNetnsCookie);
        }
        assertNotEquals(nodeCookie, otherCookie, "every namespace has its own cookie");

        ServiceBackend backend1 = new ServiceBackend(InetAddress.getByName(BACKEND1), 8080, true);
        ServiceBackend backend2 = new ServiceBackend(InetAddress.getByName(BACKEND2), 8080, true);
        ServiceFrontend tcpFrontend = ServiceFrontend.of(21, InetAddress.getByName(VIP), 80, ServiceFrontend.TCP,
                FrontendScope.INTERNAL);
        ServiceFrontend udpFrontend = ServiceFrontend.of(22, InetAddress.getByName(VIP), 53, ServiceFrontend.UDP,
                FrontendScope.INTERNAL);
        try (SocketLoadBalancer socketLb = SocketLoadBalancer.open(pins)) {
            ServiceMaps maps = socketLb.maps();
            maps.upsertService(tcpFrontend, List.of(backend1, backend2));
            maps.upsertService(udpFrontend, List.of(new ServiceBackend(InetAddress.getByName(BACKEND1), 5353, true)));
            socketLb.translateNamespace(nodeCookie);
            socketLb.attach(cgroup);
            assertEquals(List.of(SocketLoadBalancer.Hook.values()), SocketLoadBalancer.hooksAttachedTo(pins, cgroup));
            assertEquals(nodeCookie, maps.socketLbNetnsCookie());
        }
        // The pins hold the attachment after the loader closed.
        assertEquals(Set.of("backend-1", "backend-2"), greetings(16), "both backends answer through the VIP");
        try (ServiceMaps pinned = ServiceMaps.openPinned(pins)) {
            assertEquals(0, pinned.socketTranslationCount(), "closed connections forgot their translations");
        }

        // socat's UDP-SENDTO only accepts datagrams from the address it sends to: the reply must come from the VIP.
        BpfTestEnvironment.Result udp = run(true, node, "sh", "-c", "echo probe | socat -t2 - UDP-SENDTO:" + VIP + ":53");
        assertEquals("backend-1", udp.stdout().strip(), () -> "UDP through the VIP: " + udp.stderr());

        // Not translated: the node namespace outside the cgroup, and another namespace inside it (no route to the VIP).
        BpfTestEnvironment.Result outside = tcp(false, node);
        assertNotEquals(0, outside.exitCode(), "a process outside the cgroup is not translated: " + outside.stdout());
        BpfTestEnvironment.Result otherNamespace = tcp(true, other);
        assertNotEquals(0, otherNamespace.exitCode(), "a socket of another namespace is not translated: " + otherNamespace.stdout());

        // A restarted agent adopts the pinned links: same links, its own programs, traffic on.
        try (SocketLoadBalancer restarted = SocketLoadBalancer.open(pins)) {
            restarted.attach(cgroup);
            assertEquals(SocketLoadBalancer.Hook.values().length, SocketLoadBalancer.attachment(pins).orElseThrow().hooks());
            assertEquals(Cgroup2.id(cgroup), SocketLoadBalancer.attachment(pins).orElseThrow().cgroupId());

            restarted.maps().upsertService(tcpFrontend, List.of());
            long start = System.nanoTime();
            BpfTestEnvironment.Result refused = tcp(true, node);
            long elapsedMillis = (System.nanoTime() - start) / 1_000_000;
            assertNotEquals(0, refused.exitCode());
            assertTrue(refused.stderr().contains("Connection refused"), "ECONNREFUSED from connect: " + refused.stderr());
            assertTrue(elapsedMillis < 1000, "refused at once: " + elapsedMillis + " ms");
            // Without the reject flag the tc path drops (e.g. internalTrafficPolicy Local, only remote
            // endpoints): the connect fails too, at once, but not as refused by a peer.
            ServiceBackend remote = new ServiceBackend(InetAddress.getByName(BACKEND1), 8080, false);
            restarted.maps().upsertService(tcpFrontend.withInternalTrafficLocal(true).withRejectWithoutBackends(false),
                    List.of(remote));
            start = System.nanoTime();
            BpfTestEnvironment.Result dropped = tcp(true, node);
            elapsedMillis = (System.nanoTime() - start) / 1_000_000;
            assertNotEquals(0, dropped.exitCode());
            assertTrue(dropped.stderr().contains("Operation not permitted"), "EPERM from connect: " + dropped.stderr());
            assertFalse(dropped.stderr().contains("Connection refused"), dropped.stderr());
            assertTrue(elapsedMillis < 1000, "failed at once: " + elapsedMillis + " ms");
            restarted.maps().upsertService(udpFrontend.withRejectWithoutBackends(false), List.of());
            BpfTestEnvironment.Result datagram = run(true, node, "sh", "-c", "echo probe | socat -t1 - UDP-SENDTO:" + VIP + ":53");
            assertTrue(datagram.stderr().contains("Operation not permitted"), "EPERM from sendmsg: " + datagram.stderr());

            restarted.maps().upsertService(tcpFrontend, List.of(backend2));
            assertEquals(Set.of("backend-2"), greetings(3));
        }

        assertEquals(SocketLoadBalancer.Hook.values().length, SocketLoadBalancer.detach(pins));
        assertTrue(SocketLoadBalancer.attachment(pins).isEmpty());
        assertNotEquals(0, tcp(true, node).exitCode(), "detached: no translation any more");
    }
}
