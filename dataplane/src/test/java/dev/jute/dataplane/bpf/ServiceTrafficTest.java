package dev.jute.dataplane.bpf;

import dev.jute.dataplane.NetNamespace;
import dev.jute.dataplane.PodLink;
import dev.jute.dataplane.PtpPodWiring;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Real TCP through a ClusterIP: a node namespace with a client pod and two backend pods (socat
 * servers answering their own name) wired by {@link PtpPodWiring}, the programs on every pod
 * link. Connections to the VIP are balanced, stick with affinity, are reset when their backend is
 * removed (by the programs, on the connection's next segment), and are refused at once when no
 * backend is left.
 */
class ServiceTrafficTest {

    private static final String NODE_IPV4 = "10.97.0.1";
    private static final String CLIENT = "10.77.0.1";
    private static final String BACKEND1 = "10.77.0.2";
    private static final String BACKEND2 = "10.77.0.3";
    private static final String VIP = "10.96.0.10";
    private static final int TARGET_PORT = 8080;

    private BpfTestEnvironment environment;
    private NetNamespace nodeNamespace;
    private String client;
    private final List<Process> processes = new ArrayList<>();

    @BeforeEach
    void setUp() {
        BpfTestEnvironment.assumeBpf();
        Assumptions.assumeTrue(BpfTestEnvironment.onPath("socat") && BpfTestEnvironment.onPath("ss"),
                "needs `socat` and `ss` for real traffic: skipped");
        BpfTestEnvironment.removeLeftovers();
        environment = new BpfTestEnvironment();
    }

    @AfterEach
    void tearDown() {
        BpfTestEnvironment.stopAll(processes);
        if (nodeNamespace != null) {
            nodeNamespace.close();
        }
        if (environment != null) {
            environment.close();
        }
    }

    /** A server that greets with {@code name}, then echoes what it reads (so a connection stays open). */
    private void serve(String pod, String name) throws Exception {
        Process server = new ProcessBuilder("ip", "netns", "exec", pod, "socat",
                "TCP-LISTEN:" + TARGET_PORT + ",fork,reuseaddr", "SYSTEM:echo " + name + "; exec cat")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        processes.add(server);
        awaitListening(pod, "-ltnH", "server " + name);
    }

    /** Waits until a socket listens on TARGET_PORT in {@code pod} ({@code ssOptions}: TCP -ltnH, UDP -lunH). */
    private static void awaitListening(String pod, String ssOptions, String what) throws InterruptedException {
        for (int i = 0; i < 100; i++) {
            if (BpfTestEnvironment.run("ip", "netns", "exec", pod, "ss", ssOptions).contains(":" + TARGET_PORT + " ")) {
                return;
            }
            Thread.sleep(50);
        }
        fail(what + " did not start");
    }

    /** One connection to the VIP: the greeting (the backend's name), or the failure. */
    private BpfTestEnvironment.Result connect() {
        return BpfTestEnvironment.execute(10, "ip", "netns", "exec", client, "socat", "-T2", "-",
                "TCP:" + VIP + ":80,connect-timeout=5");
    }

    private Set<String> greetings(int connections) {
        Set<String> names = new HashSet<>();
        for (int i = 0; i < connections; i++) {
            BpfTestEnvironment.Result result = connect();
            assertEquals(0, result.exitCode(), () -> "connection to the VIP failed: " + result.stderr());
            names.add(result.stdout().strip());
        }
        return names;
    }

    @Test
    void aClusterIpBalancesSticksResetsAndRefuses() throws Exception {
        String node = environment.createNamespace("svcnode");
        client = environment.createNamespace("client");
        String pod1 = environment.createNamespace("backend1");
        String pod2 = environment.createNamespace("backend2");
        BpfTestEnvironment.run("ip", "-n", node, "addr", "add", NODE_IPV4 + "/32", "dev", "lo");
        nodeNamespace = BpfTestEnvironment.open(node);
        PodLink clientLink = BpfTestEnvironment.wirePod(nodeNamespace, client, "svc-client", CLIENT);
        PodLink link1 = BpfTestEnvironment.wirePod(nodeNamespace, pod1, "svc-backend-1", BACKEND1);
        PodLink link2 = BpfTestEnvironment.wirePod(nodeNamespace, pod2, "svc-backend-2", BACKEND2);
        serve(pod1, "backend-1");
        serve(pod2, "backend-2");
        Path pins = environment.bpfFilesystem().resolve("jute").resolve("svc-node");

        try (PolicyDataplane policy = PolicyDataplane.open(pins); ServiceDataplane services = ServiceDataplane.open(pins)) {
            PolicyMaps policyMaps = policy.maps();
            policyMaps.putIpcache(IpPrefix.parse(NODE_IPV4), 1);
            policyMaps.putEndpoint(clientLink.hostInterfaceIndex(), endpoint(1, CLIENT));
            policyMaps.putEndpoint(link1.hostInterfaceIndex(), endpoint(2, BACKEND1));
            policyMaps.putEndpoint(link2.hostInterfaceIndex(), endpoint(3, BACKEND2));
            nodeNamespace.call(() -> {
                for (PodLink link : List.of(clientLink, link1, link2)) {
                    policy.attach(link.hostInterfaceIndex());
                }
                return null;
            });

            ServiceMaps maps = services.maps();
            ServiceFrontend frontend = ServiceFrontend.of(10, InetAddress.getByName(VIP), 80, ServiceFrontend.TCP,
                    FrontendScope.INTERNAL);
            ServiceBackend backend1 = new ServiceBackend(InetAddress.getByName(BACKEND1), TARGET_PORT, true);
            ServiceBackend backend2 = new ServiceBackend(InetAddress.getByName(BACKEND2), TARGET_PORT, true);
            maps.upsertService(frontend, List.of(backend1, backend2));
            assertEquals(Set.of("backend-1", "backend-2"), greetings(16), "both backends answer through the VIP");

            maps.upsertService(frontend.withAffinity(600), List.of(backend1, backend2));
            assertEquals(1, greetings(8).size(), "with ClientIP affinity one backend answers every connection");

            maps.upsertService(frontend, List.of(backend1, backend2));
            // A long-lived connection; whichever backend it reached is then removed.
            Process open = new ProcessBuilder("ip", "netns", "exec", client, "socat", "-d", "-d", "-", "TCP:" + VIP + ":80")
                    .redirectErrorStream(true).start();
            processes.add(open);
            BufferedReader output = new BufferedReader(new InputStreamReader(open.getInputStream(), StandardCharsets.UTF_8));
            String reached = output.readLine();
            while (reached != null && reached.matches("^\\d{4}/.*")) { // socat's own -d -d log lines
                reached = output.readLine();
            }
            assertNotNull(reached, "the long-lived connection got its greeting");
            OutputStream input = open.getOutputStream();
            input.write("ping\n".getBytes(StandardCharsets.UTF_8));
            input.flush();
            String echoed = output.readLine();
            while (echoed != null && echoed.matches("^\\d{4}/.*")) {
                echoed = output.readLine();
            }
            assertEquals("ping", echoed, "the connection is alive");

            ServiceBackend removed = reached.equals("backend-1") ? backend1 : backend2;
            ServiceBackend kept = removed == backend1 ? backend2 : backend1;
            // Only the maps change: the programs reset the open connection on its next segment.
            assertEquals(1, maps.upsertService(frontend, List.of(kept)), "the backend is retired");
            input.write("anyone?\n".getBytes(StandardCharsets.UTF_8));
            input.flush();
            assertTrue(open.waitFor(5, TimeUnit.SECONDS), "the client learns at once that the connection is gone");
            String rest = new String(open.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            // socat reports the reset as a warning (and still exits 0): the log line is the evidence.
            assertTrue(rest.contains("Connection reset by peer"), "reset, not hung: " + rest);
            assertEquals(Set.of(kept.equals(backend1) ? "backend-1" : "backend-2"), greetings(4));

            maps.upsertService(frontend, List.of());
            long start = System.nanoTime();
            BpfTestEnvironment.Result refused = connect();
            long elapsedMillis = (System.nanoTime() - start) / 1_000_000;
            assertNotEquals(0, refused.exitCode());
            assertTrue(refused.stderr().contains("Connection refused"), "refused: " + refused.stderr());
            assertTrue(elapsedMillis < 2000, "refused at once, not after the 5 s connect timeout: " + elapsedMillis + " ms");
        }
    }

    /**
     * Hairpin: the Service's only backend connects to the Service itself. Without the service
     * loopback SNAT its kernel would see a packet from its own address (a martian) and the
     * connection would hang; with it, TCP and UDP are answered through the VIP.
     */
    @Test
    void aPodReachesItselfThroughItsServiceOverTcpAndUdp() throws Exception {
        String node = environment.createNamespace("svcnode");
        String pod = environment.createNamespace("backend1");
        BpfTestEnvironment.run("ip", "-n", node, "addr", "add", NODE_IPV4 + "/32", "dev", "lo");
        nodeNamespace = BpfTestEnvironment.open(node);
        PodLink link = BpfTestEnvironment.wirePod(nodeNamespace, pod, "svc-backend-1", BACKEND1);
        serve(pod, "backend-1");
        Process udpServer = new ProcessBuilder("ip", "netns", "exec", pod, "socat",
                "UDP-RECVFROM:" + TARGET_PORT + ",fork,reuseaddr", "SYSTEM:echo backend-1-udp")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        processes.add(udpServer);
        awaitListening(pod, "-lunH", "UDP server"); // else the first datagram may find no socket
        client = pod;
        Path pins = environment.bpfFilesystem().resolve("jute").resolve("svc-node");

        try (PolicyDataplane policy = PolicyDataplane.open(pins); ServiceDataplane services = ServiceDataplane.open(pins)) {
            // Isolated both ways with nothing allowed: a pod reaching itself is not subject to policy.
            policy.maps().putEndpoint(link.hostInterfaceIndex(), new EndpointInfo(2, 5002, true, true,
                    (Inet4Address) InetAddress.getByName(BACKEND1), (Inet6Address) null));
            nodeNamespace.call(() -> {
                policy.attach(link.hostInterfaceIndex());
                return null;
            });
            ServiceBackend self = new ServiceBackend(InetAddress.getByName(BACKEND1), TARGET_PORT, true);
            services.maps().upsertService(ServiceFrontend.of(10, InetAddress.getByName(VIP), 80, ServiceFrontend.TCP,
                    FrontendScope.INTERNAL), List.of(self));
            services.maps().upsertService(ServiceFrontend.of(11, InetAddress.getByName(VIP), 53, ServiceFrontend.UDP,
                    FrontendScope.INTERNAL), List.of(self));

            assertEquals(Set.of("backend-1"), greetings(4), "TCP through the VIP back to the pod itself");
            for (int i = 0; i < 3; i++) {
                BpfTestEnvironment.Result udp = BpfTestEnvironment.execute(10, "sh", "-c",
                        "echo ping | ip netns exec " + pod + " socat -T2 - UDP:" + VIP + ":53");
                assertEquals(0, udp.exitCode(), () -> "UDP to the VIP failed: " + udp.stderr());
                assertEquals("backend-1-udp", udp.stdout().strip(), "UDP answered from the VIP");
            }
        }
    }

    private static EndpointInfo endpoint(int id, String address) throws Exception {
        return new EndpointInfo(id, 5000 + id, false, false, (Inet4Address) InetAddress.getByName(address),
                (Inet6Address) null);
    }
}
