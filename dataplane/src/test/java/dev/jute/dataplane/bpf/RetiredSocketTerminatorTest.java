package dev.jute.dataplane.bpf;

import dev.jute.dataplane.NetNamespace;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Socket termination with real sockets: a process of a node namespace, in a cgroup with the
 * socket-LB hooks, holds TCP connections and connected UDP sockets to a ClusterIP with two backend
 * pods, and the same kinds of sockets to one backend's address directly. When that backend leaves
 * the Services, one termination pass aborts exactly the sockets the socket-LB connected to it (their
 * next read fails with ECONNABORTED); those on the other backend and those that named the backend
 * themselves keep working. Everything is named {@value #PREFIX}..., apart from the other BPF tests.
 */
class RetiredSocketTerminatorTest {

    private static final String PREFIX = "jutesockterm-";
    private static final String NODE_IPV4 = "10.99.0.1";
    private static final String BACKEND1 = "10.79.0.2";
    private static final String BACKEND2 = "10.79.0.3";
    private static final String VIP = "10.96.9.10";
    private static final int IDLE_CONNECTIONS = 1000;

    private BpfTestEnvironment environment;
    private TestCgroup testCgroup;
    private Path cgroup;
    private final List<Process> processes = new ArrayList<>();
    private PrintWriter clientInput;
    private BufferedReader clientOutput;

    @BeforeEach
    void setUp() throws IOException {
        BpfTestEnvironment.assumeBpf();
        Assumptions.assumeTrue(BpfTestEnvironment.onPath("python3"), "needs python3 for long-lived sockets: skipped");
        BpfTestEnvironment.removeLeftovers(PREFIX);
        testCgroup = TestCgroup.create(PREFIX);
        cgroup = testCgroup.path();
        environment = new BpfTestEnvironment(PREFIX);
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

    private static String peersScript() throws Exception {
        return Path.of(RetiredSocketTerminatorTest.class.getResource("socket_peers.py").toURI()).toString();
    }

    private void serve(String pod, String name) throws Exception {
        Process server = new ProcessBuilder("ip", "netns", "exec", pod, "python3", peersScript(), "serve", name)
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        processes.add(server);
        String ready = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8)).readLine();
        assertEquals("listening", ready, "server " + name + " did not start");
    }

    /** The client: moved into the test cgroup by its shell, then run in the node namespace. */
    private void startClient(String node) throws Exception {
        Process client = new ProcessBuilder("sh", "-c", "echo $$ > \"$0\" && exec \"$@\"",
                cgroup.resolve("cgroup.procs").toString(), "ip", "netns", "exec", node, "python3", peersScript(), "client")
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        processes.add(client);
        clientInput = new PrintWriter(client.getOutputStream(), true, StandardCharsets.UTF_8);
        clientOutput = new BufferedReader(new InputStreamReader(client.getInputStream(), StandardCharsets.UTF_8));
    }

    private String ask(String command) throws IOException {
        clientInput.println(command);
        String answer = clientOutput.readLine();
        assertNotNull(answer, "the client died on: " + command);
        return answer;
    }

    /** Opens a socket and returns the name of the backend that answered it. */
    private String open(String kind, String id, String host, int port) throws IOException {
        String answer = ask(kind + " " + id + " " + host + " " + port);
        assertTrue(answer.startsWith("ok " + id + " "), () -> kind + " to " + host + ":" + port + ": " + answer);
        return answer.substring(("ok " + id + " ").length());
    }

    /**
     * Sockets of one kind through the VIP until both backends answered at least twice: id -> backend.
     * The socket-LB balances per socket, so a handful suffice.
     */
    private Map<String, String> openThroughVip(String kind, int port) throws IOException {
        Map<String, String> backends = new LinkedHashMap<>();
        for (int i = 0; i < 60; i++) {
            String id = kind.charAt(0) + "vip" + i;
            backends.put(id, open(kind, id, VIP, port));
            long first = backends.values().stream().filter("backend-1"::equals).count();
            if (first >= 2 && backends.size() - first >= 2) {
                return backends;
            }
        }
        fail(kind + " sockets through the VIP did not reach both backends: " + backends);
        return backends;
    }

    /** A TERMINATED_RECORD of sock_term.c. */
    private static void socketRecord(ByteBuffer out, int protocol, byte[] ipv4, int port, int serviceId, long cookie) {
        int start = out.position();
        out.put((byte) 1).put((byte) protocol).put((byte) 4).put((byte) 0).putShort((short) port).putShort((short) 0)
                .putInt(serviceId).putInt(0).putLong(cookie).put(ipv4).put(new byte[12]);
        assertEquals(40, out.position() - start);
    }

    @Test
    void aSocketTheKernelRefusedToDestroyIsReportedAsFailedNotTerminated() throws Exception {
        ByteBuffer output = ByteBuffer.allocate(40 + 40 + 16 + 16).order(ByteOrder.LITTLE_ENDIAN);
        socketRecord(output, ServiceFrontend.TCP, new byte[] {10, 79, 0, 2}, 8080, 41, 7001);
        socketRecord(output, ServiceFrontend.TCP, new byte[] {10, 79, 0, 2}, 8080, 41, 7002);
        output.put((byte) 3).put((byte) ServiceFrontend.TCP).putShort((short) 0).putInt(-95).putLong(7002); // EOPNOTSUPP
        output.put((byte) 2).put((byte) ServiceFrontend.TCP).put(new byte[6]).putLong(12);

        List<RetiredSocketTerminator.TerminatedSocket> terminated = new ArrayList<>();
        List<RetiredSocketTerminator.FailedTermination> failed = new ArrayList<>();
        assertEquals(12, RetiredSocketTerminator.parse("sock_term_tcp", output.array(), terminated, failed));
        assertEquals(List.of(7001L), terminated.stream().map(RetiredSocketTerminator.TerminatedSocket::cookie).toList(),
                "only the destroyed socket counts as terminated");
        assertEquals(1, failed.size());
        assertEquals(7002L, failed.getFirst().socket().cookie());
        assertEquals(InetAddress.getByName(BACKEND1), failed.getFirst().socket().backendAddress());
        assertEquals(95, failed.getFirst().errno());

        ByteBuffer orphan = ByteBuffer.allocate(16 + 16).order(ByteOrder.LITTLE_ENDIAN);
        orphan.put((byte) 3).put((byte) ServiceFrontend.TCP).putShort((short) 0).putInt(-95).putLong(7002);
        orphan.put((byte) 2).put((byte) ServiceFrontend.TCP).put(new byte[6]).putLong(0);
        assertThrows(IllegalStateException.class, () -> RetiredSocketTerminator.parse("sock_term_tcp", orphan.array(),
                new ArrayList<>(), new ArrayList<>()), "a failure record must follow its socket's record");
    }

    @Test
    void retiringABackendAbortsOnlyTheSocketsTheSocketLbConnectedToIt() throws Exception {
        String node = environment.createNamespace("node");
        String pod1 = environment.createNamespace("pod1");
        String pod2 = environment.createNamespace("pod2");
        Path pins = environment.bpfFilesystem().resolve("jute").resolve("term-node");
        BpfTestEnvironment.run("ip", "-n", node, "addr", "add", NODE_IPV4 + "/32", "dev", "lo");
        try (NetNamespace nodeNamespace = BpfTestEnvironment.open(node)) {
            BpfTestEnvironment.wirePod(nodeNamespace, pod1, "term-backend-1", BACKEND1);
            BpfTestEnvironment.wirePod(nodeNamespace, pod2, "term-backend-2", BACKEND2);
            serve(pod1, "backend-1");
            serve(pod2, "backend-2");

            ServiceBackend tcp1 = new ServiceBackend(InetAddress.getByName(BACKEND1), 8080, true);
            ServiceBackend tcp2 = new ServiceBackend(InetAddress.getByName(BACKEND2), 8080, true);
            ServiceBackend udp1 = new ServiceBackend(InetAddress.getByName(BACKEND1), 5353, true);
            ServiceBackend udp2 = new ServiceBackend(InetAddress.getByName(BACKEND2), 5353, true);
            ServiceFrontend tcpFrontend = ServiceFrontend.of(41, InetAddress.getByName(VIP), 80, ServiceFrontend.TCP,
                    FrontendScope.INTERNAL);
            ServiceFrontend udpFrontend = ServiceFrontend.of(42, InetAddress.getByName(VIP), 53, ServiceFrontend.UDP,
                    FrontendScope.INTERNAL);

            try (SocketLoadBalancer socketLb = SocketLoadBalancer.open(pins)) {
                assertEquals(java.util.Optional.empty(), socketLb.terminationUnavailableReason(),
                        "this kernel (6.5+) can destroy sockets");
                ServiceMaps maps = socketLb.maps();
                maps.upsertService(tcpFrontend, List.of(tcp1, tcp2));
                maps.upsertService(udpFrontend, List.of(udp1, udp2));
                socketLb.translateNamespace(nodeNamespace.call(SocketLoadBalancer::currentNetnsCookie));
                socketLb.attach(cgroup);

                startClient(node);
                Map<String, String> tcpSockets = openThroughVip("tcp", 80);
                Map<String, String> udpSockets = openThroughVip("udp", 53);
                assertEquals("backend-1", open("tcp", "tdirect", BACKEND1, 8080));
                assertEquals("backend-1", open("udp", "udirect", BACKEND1, 5353));

                RetiredSocketTerminator.Pass idle = nodeNamespace.call(socketLb::terminateRetiredSockets).orElseThrow();
                assertEquals(List.of(), idle.terminated(), "nothing is retired yet");
                // The client's sockets, and none of the servers' (they are in the pods' namespaces).
                assertEquals(tcpSockets.size() + udpSockets.size() + 2, idle.socketsWalked(),
                        "the walk shows every socket of the namespace, and only those");
                assertThrows(IllegalStateException.class, socketLb::terminateRetiredSockets,
                        "a walk from another namespace would see other sockets");

                assertEquals(1, maps.upsertService(tcpFrontend, List.of(tcp2)));
                assertEquals(1, maps.upsertService(udpFrontend, List.of(udp2)));
                RetiredSocketTerminator.Pass pass = nodeNamespace.call(socketLb::terminateRetiredSockets).orElseThrow();
                System.out.println("termination pass: " + pass.socketsWalked() + " sockets walked, "
                                   + pass.terminated().size() + " destroyed, " + pass.nanos() / 1_000 + " µs");

                Map<String, String> viaVip = new LinkedHashMap<>(tcpSockets);
                viaVip.putAll(udpSockets);
                Set<String> onRetired = viaVip.entrySet().stream().filter(e -> e.getValue().equals("backend-1"))
                        .map(Map.Entry::getKey).collect(Collectors.toSet());
                assertEquals(onRetired.size(), pass.terminated().size(), () -> "destroyed: " + pass.terminated());
                assertEquals(List.of(), pass.failed(), "the kernel destroyed every one of them");
                for (RetiredSocketTerminator.TerminatedSocket socket : pass.terminated()) {
                    assertEquals(InetAddress.getByName(BACKEND1), socket.backendAddress(), socket::toString);
                    assertEquals(socket.protocol() == ServiceFrontend.TCP ? 41 : 42, socket.serviceId(), socket::toString);
                }
                assertEquals(tcpSockets.values().stream().filter("backend-1"::equals).count(),
                        pass.terminated().stream().filter(s -> s.protocol() == ServiceFrontend.TCP).count());

                for (Map.Entry<String, String> socket : viaVip.entrySet()) {
                    String answer = ask("probe " + socket.getKey());
                    if (onRetired.contains(socket.getKey())) {
                        assertEquals("error " + socket.getKey() + " ECONNABORTED", answer,
                                "a socket connected to the retired backend through the VIP is aborted");
                    } else {
                        assertEquals("alive " + socket.getKey() + " backend-2", answer,
                                "a socket on the remaining backend keeps working");
                    }
                }
                assertEquals("alive tdirect backend-1", ask("probe tdirect"), "a TCP connection to the pod's own address is not touched");
                assertEquals("alive udirect backend-1", ask("probe udirect"), "a UDP socket connected to the pod itself is not touched");

                RetiredSocketTerminator.Pass again = nodeNamespace.call(socketLb::terminateRetiredSockets).orElseThrow();
                assertEquals(List.of(), again.terminated(), "every retired socket went in the first pass");

                // The cost of a pass grows with the namespace's sockets, whatever was retired.
                assertEquals("ok idle " + IDLE_CONNECTIONS, ask("idle " + IDLE_CONNECTIONS));
                List<Long> micros = new ArrayList<>();
                for (int i = 0; i < 5; i++) {
                    RetiredSocketTerminator.Pass busy = nodeNamespace.call(socketLb::terminateRetiredSockets).orElseThrow();
                    // Both ends of each idle connection, their listener, and the sockets above that were not destroyed
                    // (an aborted TCP socket is closed, an aborted UDP one unhashed).
                    assertEquals(2 * IDLE_CONNECTIONS + 1 + viaVip.size() - onRetired.size() + 2, busy.socketsWalked());
                    assertEquals(List.of(), busy.terminated());
                    micros.add(busy.nanos() / 1_000);
                }
                System.out.println("termination passes over " + (2 * IDLE_CONNECTIONS + 1 + viaVip.size() - onRetired.size() + 2)
                                   + " sockets: " + micros + " µs");
            }
        }
    }
}
