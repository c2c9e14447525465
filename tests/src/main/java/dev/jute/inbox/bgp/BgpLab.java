package dev.jute.inbox.bgp;

import dev.jute.agent.bgp.BgpCli;
import dev.jute.inbox.AgentProcess;
import dev.jute.inbox.Command;
import dev.jute.inbox.Netns;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BooleanSupplier;

/**
 * Two namespaces joined by a veth: a Jute node ({@code <prefix>-node}, 172.31.S.1) running a real agent
 * with BGP, and a peer ({@code <prefix>-peer}, 172.31.S.2) for a BGP daemon. Every name starts with
 * {@link #PREFIX}; leftovers of crashed runs are removed by {@link #cleanLeftovers()}.
 */
public final class BgpLab implements AutoCloseable {

    public static final String PREFIX = "jutebgp-";
    public static final String JUTE_POD_CIDR = "10.250.0.0/24";
    public static final long JUTE_AS = 64512;

    private final String run = Integer.toHexString(ThreadLocalRandom.current().nextInt(0x1000, 0xffff));
    private final int subnet;
    private final Path work;
    private final Netns node;
    private final Netns peer;
    private final List<Netns> extra = new ArrayList<>();
    private AgentProcess agent;
    private List<String> agentArguments = List.of();

    private BgpLab(int subnet) throws IOException {
        this.subnet = subnet;
        this.work = Files.createTempDirectory(PREFIX + run);
        // Daemons that drop privileges (FRR runs as user frr) must reach their folder inside.
        Files.setPosixFilePermissions(work, java.nio.file.attribute.PosixFilePermissions.fromString("rwx--x--x"));
        this.node = Netns.create(PREFIX + run + "-node");
        this.peer = Netns.create(PREFIX + run + "-peer");
    }

    /** Builds the two namespaces and the link; {@code subnet} picks 172.31.{subnet}.0/24. */
    public static BgpLab create(int subnet) throws IOException {
        BgpLab lab = new BgpLab(subnet);
        try {
            lab.node.exec("ip", "link", "add", "eth0", "type", "veth", "peer", "name", "eth0", "netns", lab.peer.name()).check();
            for (Netns ns : List.of(lab.node, lab.peer)) {
                String address = ns == lab.node ? lab.juteAddress() : lab.peerAddress();
                ns.exec("ip", "addr", "add", address + "/24", "dev", "eth0").check();
                ns.exec("ip", "link", "set", "eth0", "up").check();
                ns.sysctl("net.ipv4.ip_forward", "1");
            }
            return lab;
        } catch (RuntimeException e) {
            lab.close();
            throw e;
        }
    }

    public static void cleanLeftovers() {
        Netns.deleteAll(PREFIX);
    }

    public String juteAddress() {
        return "172.31." + subnet + ".1";
    }

    public String peerAddress() {
        return "172.31." + subnet + ".2";
    }

    public Netns node() {
        return node;
    }

    public Netns peer() {
        return peer;
    }

    public Path work() {
        return work;
    }

    public Path adminSocket() {
        return work.resolve("run/admin.sock");
    }

    /** A daemon of {@code kind} in the peer namespace, peering with Jute. */
    public PeerDaemon daemon(String kind, long as, String password, List<String> announced) {
        return PeerDaemon.create(kind, new PeerDaemon.Spec(peer, work.resolve(kind), peerAddress(), as, juteAddress(), JUTE_AS,
                password, announced));
    }

    /**
     * Starts the Jute agent with BGP routing and the given extra options (peers, ...), graceful-restart
     * time 60 s. A restart reuses the state directory, as a DaemonSet pod restart does.
     */
    public AgentProcess startJute(List<String> bgpArguments) {
        agentArguments = List.copyOf(bgpArguments);
        return restartJute();
    }

    public AgentProcess restartJute() {
        return restartJute(JUTE_POD_CIDR);
    }

    /** Starts the agent again (same state directory) announcing {@code podCidr}. */
    public AgentProcess restartJute(String podCidr) {
        List<String> args = new ArrayList<>(List.of("--routing", "bgp", "--node-ip", juteAddress(),
                "--admin-socket", adminSocket().toString(), "--bgp-graceful-restart-time", "60"));
        args.addAll(agentArguments);
        agent = AgentProcess.start(node, new AgentProcess.Options("jute-" + run, List.of(podCidr),
                work.resolve("run/cni.sock"), work.resolve("state"), 1500), args);
        AgentProcess started = agent;
        // BGP starts after the CNI server: wait for its admin endpoint.
        await("the agent's BGP admin endpoint", Duration.ofSeconds(20),
                () -> started.log().contains("admin endpoint") && Files.exists(adminSocket()) || !started.alive(),
                started::log);
        if (!started.alive()) {
            throw new IllegalStateException("agent exited:\n" + started.log());
        }
        return agent;
    }

    public AgentProcess agent() {
        return agent;
    }

    /** The agent's answer to {@code jute bgp peers} / {@code routes}, as parsed JSON. */
    public Map<String, Object> ask(String command) {
        try {
            return BgpCli.ask(adminSocket(), command);
        } catch (Exception e) {
            throw new IllegalStateException("admin socket: " + e.getMessage() + "\nagent log:\n" + (agent == null ? "" : agent.log()), e);
        }
    }

    /** The state of the agent's session with {@code address}, e.g. ESTABLISHED. */
    @SuppressWarnings("unchecked")
    public String juteSessionState(String address) {
        for (Object p : (List<Object>) ask("bgp-peers").get("peers")) {
            Map<String, Object> peerStatus = (Map<String, Object>) p;
            if (address.equals(peerStatus.get("address"))) {
                return (String) peerStatus.get("state");
            }
        }
        return "UNKNOWN";
    }

    /** The Jute node's kernel route to {@code prefix} installed by BGP, or "" when there is none. */
    public String juteKernelRoute(String prefix) {
        return node.exec("ip", "route", "show", prefix, "proto", "74").stdout().strip();
    }

    public static void await(String what, Duration timeout, BooleanSupplier condition, java.util.function.Supplier<String> explain) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout + " waiting for " + what + "\n" + explain.get());
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            }
        }
    }

    /** A further namespace of this lab (for the benchmark's second receiver). */
    public Netns extraNamespace(String name) {
        Netns ns = Netns.create(PREFIX + run + "-" + name);
        extra.add(ns);
        return ns;
    }

    @Override
    public void close() {
        try {
            if (agent != null) {
                agent.close();
            }
        } finally {
            extra.forEach(Netns::delete);
            peer.delete();
            node.delete();
            Command.run("rm", "-rf", work.toString());
        }
    }
}
