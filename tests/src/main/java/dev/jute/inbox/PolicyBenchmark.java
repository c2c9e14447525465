package dev.jute.inbox;

import dev.jute.dataplane.NetNamespace;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Pod-to-pod cost of NetworkPolicy: TCP request/response (one connection, 1-byte ping-pong), new
 * connections per second, and a bulk stream (iperf3) between two pods on one node, with no policy
 * (the reference, measured in the same run), then with 10 and with 1,000 policies selecting the server
 * pod; plus the time the agent takes to program 1,000 policies (file written → the allow of the last
 * policy works). A real agent in a node namespace, static mode with a {@code --policy-state} file.
 */
public final class PolicyBenchmark {

    private static final String PREFIX = "jutepb-";
    private static final int RR_PORT = 7000;
    private static final int IPERF_PORT = 5201;
    private static final int ROUND_TRIPS = 20_000;
    private static final int CONNECTIONS = 2_000;

    private record Figures(String setup, double rrMicros, double rrPerSecond, double connectionsPerSecond, double bulkGbps) {
    }

    private PolicyBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        if (!Command.exists("iperf3")) {
            throw new IllegalStateException("iperf3 is missing: apt-get install iperf3");
        }
        Netns.deleteAll(PREFIX);
        Path work = Files.createTempDirectory(PREFIX);
        Path bpf = Files.createDirectories(work.resolve("bpf"));
        Command.run("mount", "-t", "bpf", "bpf", bpf.toString()).check();
        List<Netns> namespaces = new ArrayList<>();
        Process iperf = null;
        try {
            Netns node = Netns.create(PREFIX + "node");
            namespaces.add(node);
            Path state = work.resolve("cluster.yaml");
            write(state, pods());
            AgentProcess.Options options = new AgentProcess.Options("bench", List.of("10.244.77.0/24"),
                    work.resolve("run/cni.sock"), work.resolve("state"), 1500);
            try (AgentProcess agent = AgentProcess.start(node, options,
                    List.of("--bpf-pin-dir", bpf.resolve("pins").toString(), "--policy-state", state.toString()))) {
                Netns server = Netns.create(PREFIX + "server");
                Netns client = Netns.create(PREFIX + "client");
                namespaces.add(server);
                namespaces.add(client);
                String serverIp = wire(work, "server", server);
                wire(work, "client", client);
                iperf = new ProcessBuilder(server.prefix("iperf3", "-s", "-p", Integer.toString(IPERF_PORT)))
                        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
                Thread echo = startEchoServer(server);

                List<Figures> figures = new ArrayList<>();
                figures.add(measure("no policy", client, serverIp));
                write(state, pods() + policies(10));
                awaitAllowed(client, serverIp, 10_000 + 9);
                figures.add(measure("10 policies", client, serverIp));
                long start = System.nanoTime();
                write(state, pods() + policies(1_000));
                awaitAllowed(client, serverIp, 10_000 + 999);
                double programMillis = (System.nanoTime() - start) / 1e6;
                figures.add(measure("1,000 policies", client, serverIp));
                echo.interrupt();
                print(figures, programMillis);
            }
        } finally {
            if (iperf != null) {
                iperf.destroyForcibly();
            }
            namespaces.forEach(Netns::delete);
            Command.run("umount", "-l", bpf.toString());
            Command.run("rm", "-rf", work.toString());
        }
    }

    private static String pods() {
        return """
                apiVersion: v1
                kind: Namespace
                metadata: {name: bench}
                ---
                apiVersion: v1
                kind: Pod
                metadata: {namespace: bench, name: server, labels: {app: server}}
                spec: {containers: [{name: c, image: none}]}
                ---
                apiVersion: v1
                kind: Pod
                metadata: {namespace: bench, name: client, labels: {app: client}}
                spec: {containers: [{name: c, image: none}]}
                """;
    }

    /**
     * {@code count} policies selecting the server: policy i allows the client on port 10000+i; the first
     * also allows the benchmark's ports, so traffic is judged against all of them.
     */
    private static String policies(int count) {
        StringBuilder yaml = new StringBuilder();
        for (int i = 0; i < count; i++) {
            String ports = i == 0
                    ? "[{protocol: TCP, port: %d}, {protocol: TCP, port: %d}, {protocol: TCP, port: %d}]"
                            .formatted(10_000, RR_PORT, IPERF_PORT)
                    : "[{protocol: TCP, port: %d}]".formatted(10_000 + i);
            yaml.append("""
                    ---
                    apiVersion: networking.k8s.io/v1
                    kind: NetworkPolicy
                    metadata: {namespace: bench, name: allow-%d}
                    spec:
                      podSelector: {matchLabels: {app: server}}
                      ingress: [{from: [{podSelector: {matchLabels: {app: client}}}], ports: %s}]
                    """.formatted(i, ports));
        }
        return yaml.toString();
    }

    private static void write(Path file, String content) throws IOException {
        Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(temporary, content);
        Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static String wire(Path work, String name, Netns pod) {
        String config = """
                {"cniVersion":"1.1.0","name":"bench","type":"jute-cni","agentSocket":"%s"}""".formatted(work.resolve("run/cni.sock"));
        Command.Result add = new CniPlugin(JuteArtifacts.cniLauncher(), List.of(), null)
                .invoke(CniPlugin.Invocation.add("bench-" + name, pod.path(), "eth0")
                        .withArgs("K8S_POD_NAMESPACE=bench;K8S_POD_NAME=" + name), config);
        if (!add.ok()) {
            throw new IllegalStateException("ADD " + name + ": " + add.stdout());
        }
        int start = add.stdout().indexOf("\"address\":\"") + "\"address\":\"".length();
        return add.stdout().substring(start, add.stdout().indexOf('/', start));
    }

    /** A one-byte echo server in the server pod: its listening socket is opened inside the pod's namespace. */
    private static Thread startEchoServer(Netns server) throws Exception {
        ServerSocketChannel listener;
        try (NetNamespace ns = NetNamespace.open(server.path())) {
            listener = ns.call(() -> ServerSocketChannel.open().bind(new InetSocketAddress(RR_PORT), 512));
        }
        return Thread.ofPlatform().daemon().start(() -> {
            try (listener) {
                while (!Thread.currentThread().isInterrupted()) {
                    SocketChannel connection = listener.accept();
                    Thread.ofVirtual().start(() -> echo(connection));
                }
            } catch (IOException e) {
                // closed
            }
        });
    }

    private static void echo(SocketChannel connection) {
        try (connection) {
            ByteBuffer buffer = ByteBuffer.allocate(1);
            while (connection.read(buffer.clear()) > 0) {
                connection.write(buffer.flip());
            }
        } catch (IOException e) {
            // the client closed
        }
    }

    /** Polls until a new connection to the port only the last policy allows succeeds (or 60 s pass). */
    private static void awaitAllowed(Netns client, String serverIp, int port) throws Exception {
        // The echo server does not listen on that port: allowed = refused (RST), denied = timeout.
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        try (NetNamespace ns = NetNamespace.open(client.path())) {
            while (System.nanoTime() < deadline) {
                boolean refused = ns.call(() -> {
                    try (SocketChannel channel = SocketChannel.open()) {
                        channel.socket().connect(new InetSocketAddress(serverIp, port), 200);
                        return true;
                    } catch (java.net.ConnectException e) {
                        return true;
                    } catch (IOException e) {
                        return false;
                    }
                });
                if (refused) {
                    return;
                }
            }
        }
        throw new IllegalStateException("policies were not in force within 60 s");
    }

    private static Figures measure(String setup, Netns client, String serverIp) throws Exception {
        double[] rr;
        double connectionsPerSecond;
        try (NetNamespace ns = NetNamespace.open(client.path())) {
            rr = ns.call(() -> requestResponse(serverIp));
            connectionsPerSecond = ns.call(() -> connectionRate(serverIp));
        }
        Command.Result iperf = Command.run(client.prefix("iperf3", "-c", serverIp, "-p", Integer.toString(IPERF_PORT),
                "-t", "3", "-J"), null, Map.of(), Duration.ofSeconds(30)).check();
        String json = iperf.stdout();
        int end = json.lastIndexOf("\"sum_received\"");
        int bps = json.indexOf("\"bits_per_second\":", end) + "\"bits_per_second\":".length();
        double bitsPerSecond = Double.parseDouble(json.substring(bps, json.indexOf(',', bps)).strip());
        return new Figures(setup, rr[0], rr[1], connectionsPerSecond, bitsPerSecond / 1e9);
    }

    /** Median round-trip time (µs) and round trips per second over one connection. */
    private static double[] requestResponse(String serverIp) throws IOException {
        try (SocketChannel channel = SocketChannel.open(new InetSocketAddress(serverIp, RR_PORT))) {
            channel.socket().setTcpNoDelay(true);
            ByteBuffer buffer = ByteBuffer.allocate(1);
            long[] samples = new long[ROUND_TRIPS];
            long start = System.nanoTime();
            for (int i = 0; i < ROUND_TRIPS; i++) {
                long t0 = System.nanoTime();
                channel.write(buffer.clear().put((byte) i).flip());
                buffer.clear();
                while (buffer.position() == 0) {
                    channel.read(buffer);
                }
                samples[i] = System.nanoTime() - t0;
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            Arrays.sort(samples);
            return new double[] {samples[ROUND_TRIPS / 2] / 1e3, ROUND_TRIPS / seconds};
        }
    }

    /** New connections per second: connect, one byte each way, close. */
    private static double connectionRate(String serverIp) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(1);
        long start = System.nanoTime();
        for (int i = 0; i < CONNECTIONS; i++) {
            try (SocketChannel channel = SocketChannel.open(new InetSocketAddress(serverIp, RR_PORT))) {
                channel.write(buffer.clear().put((byte) 1).flip());
                buffer.clear();
                channel.read(buffer);
            }
        }
        return CONNECTIONS / ((System.nanoTime() - start) / 1e9);
    }

    private static void print(List<Figures> figures, double programMillis) {
        Figures reference = figures.getFirst();
        System.out.println();
        System.out.println("NetworkPolicy cost between two pods on one node (reference: no policy, same run)");
        System.out.printf(Locale.ROOT, "%-16s %10s %10s %12s %10s   %s%n", "setup", "RR p50 µs", "RR/s", "new conn/s",
                "bulk Gb/s", "ratio to no policy (RR/s, conn/s, bulk)");
        for (Figures f : figures) {
            System.out.printf(Locale.ROOT, "%-16s %10.1f %10.0f %12.0f %10.2f   %.3f  %.3f  %.3f%n", f.setup(), f.rrMicros(),
                    f.rrPerSecond(), f.connectionsPerSecond(), f.bulkGbps(), f.rrPerSecond() / reference.rrPerSecond(),
                    f.connectionsPerSecond() / reference.connectionsPerSecond(), f.bulkGbps() / reference.bulkGbps());
        }
        System.out.printf(Locale.ROOT, "programming 1,000 policies (state file written -> last allow in force): %.0f ms%n",
                programMillis);
    }
}
