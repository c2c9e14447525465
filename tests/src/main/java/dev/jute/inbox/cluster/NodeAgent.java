package dev.jute.inbox.cluster;

import dev.jute.inbox.JuteArtifacts;
import dev.jute.inbox.Netns;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A real {@code jute agent} process in Kubernetes mode inside a node namespace, as the DaemonSet runs it
 * on a real node: the kubeconfig points at the in-box API, the pod CIDRs come from the Node object.
 * Its log is {@code <node dir>/agent.log}.
 */
final class NodeAgent implements AutoCloseable {

    static final int HEALTH_PORT = 9765;
    static final String HEALTH_LISTEN = "127.0.0.1:" + HEALTH_PORT;
    /** LoadBalancer addresses the agents hand out (the lexicographically first Ready node writes them). */
    static final String LB_POOL = "172.18.255.0/24";

    private final String node;
    private final Path netns;
    private final Process process;
    private final Path log;
    private final Path socket;

    private NodeAgent(String node, Path netns, Process process, Path log, Path socket) {
        this.node = node;
        this.netns = netns;
        this.process = process;
        this.log = log;
        this.socket = socket;
    }

    /** The agent's heap: 128m, or {@value #HEAP_PROPERTY} (the Service benchmark's 10,000 Services need more). */
    static final String HEAP_PROPERTY = "jute.inbox.agentHeap";

    private static String heap() {
        String heap = System.getProperty(HEAP_PROPERTY, "128m");
        if (!heap.matches("\\d+[kmg]")) {
            throw new IllegalArgumentException(HEAP_PROPERTY + " must be like 512m, not " + heap);
        }
        return heap;
    }

    /**
     * Starts the agent; returns at once ({@link #awaitServing} waits for it).
     *
     * @param socketLbCgroup the node's own cgroup for the socket-LB hooks (never the host's root), or "none"
     * @param extraArguments appended to the command line; the agent takes the last value of an option
     *                       given twice, so they may override the defaults (e.g. {@code --routing bgp})
     */
    static NodeAgent start(Netns netns, String node, Path nodeDir, Path kubeconfig, Path bpfPinDir, String socketLbCgroup,
                           List<String> extraArguments) {
        try {
            Files.createDirectories(nodeDir);
            Path log = nodeDir.resolve("agent.log");
            Path socket = nodeDir.resolve("cni.sock");
            List<String> command = netns.prefix(JuteArtifacts.java().toString(),
                    "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC", "-Dslf4j.internal.verbosity=ERROR", "-Xmx" + heap(), "-XX:TieredStopAtLevel=1",
                    "-jar", JuteArtifacts.agentJar().toString(),
                    "agent", "--node-name", node, "--kubeconfig", kubeconfig.toString(), "--routing", "direct",
                    "--socket", socket.toString(), "--state-dir", nodeDir.resolve("state").toString(),
                    "--health-listen", HEALTH_LISTEN, "--bpf-pin-dir", bpfPinDir.toString(), "--lb-pool", LB_POOL,
                    "--socket-lb-cgroup", socketLbCgroup);
            command = new java.util.ArrayList<>(command);
            command.addAll(extraArguments);
            Process process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
            return new NodeAgent(node, netns.path(), process, log, socket);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void awaitServing(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("agent of " + node + " exited with " + process.exitValue() + ":\n" + log());
            }
            // Ready (informers synced, routes to the other nodes converged) is what a node's Ready
            // condition would wait for; serving CNI alone is not enough for cross-node traffic.
            if (Files.exists(socket) && log().contains("serving health and metrics")
                && httpGet(netns, "/readyz").startsWith("HTTP/1.1 200")) {
                return;
            }
            Thread.sleep(25);
        }
        throw new IllegalStateException("agent of " + node + " did not serve within " + timeout + ":\n" + log());
    }

    /** A GET to the agent's health endpoint inside its node namespace; the raw HTTP response, or "" if it does not answer. */
    static String httpGet(Path nodeNetns, String path) {
        try (SocketChannel channel = NetnsSockets.tcp(nodeNetns)) {
            channel.socket().connect(new InetSocketAddress("127.0.0.1", HEALTH_PORT), 2_000);
            channel.socket().setSoTimeout(5_000);
            channel.write(ByteBuffer.wrap(("GET " + path + " HTTP/1.1\r\nHost: agent\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII)));
            return new String(channel.socket().getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        } catch (Exception e) {
            return "";
        }
    }

    String node() {
        return node;
    }

    Path socket() {
        return socket;
    }

    /** The socket of {@code jute bgp|policy ...}: the agent's default, beside the CNI socket. */
    Path adminSocket() {
        return socket.resolveSibling("admin.sock");
    }

    long pid() {
        return process.pid();
    }

    boolean alive() {
        return process.isAlive();
    }

    String log() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "";
        }
    }

    /** The agent's resident set size in KiB, from {@code /proc/<pid>/status} (0 if it is gone). */
    long rssKib() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid()), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException e) {
            return 0;
        }
        return 0;
    }

    /** SIGTERM (graceful), SIGKILL after ten seconds. */
    @Override
    public void close() {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(Duration.ofSeconds(10))) {
                process.destroyForcibly().waitFor();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
