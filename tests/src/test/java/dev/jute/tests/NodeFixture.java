package dev.jute.tests;

import dev.jute.cni.Json;
import dev.jute.inbox.AgentProcess;
import dev.jute.inbox.CniPlugin;
import dev.jute.inbox.Command;
import dev.jute.inbox.JuteArtifacts;
import dev.jute.inbox.Netns;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * One node for a root test: a node namespace with a real agent in it, pod namespaces on demand, and
 * jute-cni executed as a runtime executes it. Everything is named {@code jutet-<run>-...}; leftovers of
 * crashed runs are removed when a fixture starts, and {@link #close()} removes this run's.
 */
final class NodeFixture implements AutoCloseable {

    static final String PREFIX = "jutet-";
    static final String NODE_ADDRESS = "10.99.0.1";

    private final String run = Integer.toHexString(ThreadLocalRandom.current().nextInt(0x1000, 0xffff));
    private final Path work;
    final Netns node;
    private final List<Netns> pods = new ArrayList<>();
    private final List<String> podCidrs;
    AgentProcess agent;

    /** Skips the calling test unless this machine can run namespace tests. */
    static void assumeRootAndIp() {
        assumeTrue(Netns.available(), "needs root and iproute2 (ip): skipped");
    }

    NodeFixture(String... podCidrs) throws IOException {
        assumeRootAndIp();
        cleanLeftovers();
        this.podCidrs = List.of(podCidrs);
        this.work = Files.createTempDirectory(PREFIX + run);
        this.node = Netns.create(PREFIX + run + "-node");
        // The node's own address, for "pod to host" traffic.
        node.exec("ip", "addr", "add", NODE_ADDRESS + "/32", "dev", "lo").check();
        this.agent = startAgent();
    }

    static void cleanLeftovers() {
        Netns.deleteAll(PREFIX);
    }

    AgentProcess startAgent() {
        agent = AgentProcess.start(node, new AgentProcess.Options("node-" + run, podCidrs, socket(), stateDir(), 1500));
        return agent;
    }

    Path socket() {
        return work.resolve("run/cni.sock");
    }

    Path stateDir() {
        return work.resolve("state");
    }

    Path work() {
        return work;
    }

    Netns newPod(String name) {
        Netns pod = Netns.create(PREFIX + run + "-" + name);
        synchronized (pods) {
            pods.add(pod);
        }
        return pod;
    }

    /** The network configuration jute-cni gets on stdin. */
    String config(String cniVersion) {
        return """
                {"cniVersion":"%s","name":"jute-test","type":"jute-cni","agentSocket":"%s"}""".formatted(cniVersion, socket());
    }

    CniPlugin cni() {
        return new CniPlugin(JuteArtifacts.cniLauncher(), List.of(), null);
    }

    Command.Result add(String containerId, Netns pod, String cniVersion) {
        return cni().invoke(CniPlugin.Invocation.add(containerId, pod.path(), "eth0"), config(cniVersion));
    }

    Command.Result del(String containerId, Netns pod, String cniVersion) {
        return cni().invoke(CniPlugin.Invocation.del(containerId, pod.path(), "eth0"), config(cniVersion));
    }

    /** The IPv4 address (without prefix length) from an ADD result of any version. */
    @SuppressWarnings("unchecked")
    static List<String> addresses(Command.Result add) {
        try {
            Map<String, Object> result = (Map<String, Object>) Json.parse(add.stdout());
            List<String> addresses = new ArrayList<>();
            for (Object ip : (List<Object>) result.get("ips")) {
                String cidr = (String) ((Map<String, Object>) ip).get("address");
                addresses.add(cidr.substring(0, cidr.indexOf('/')));
            }
            return addresses;
        } catch (Exception e) {
            throw new AssertionError("not a CNI result: " + add.stdout() + add.stderr(), e);
        }
    }

    static String ipv4(Command.Result add) {
        return addresses(add).stream().filter(a -> a.contains(".")).findFirst().orElseThrow();
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> json(String text) {
        try {
            return (Map<String, Object>) Json.parse(text);
        } catch (Exception e) {
            throw new AssertionError("not JSON: " + text, e);
        }
    }

    /** The IPAM records on disk: one file per allocated address. */
    List<String> ipamRecords() throws IOException {
        try (var files = Files.list(stateDir().resolve("ipam"))) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.contains(".") || n.contains(":"))
                    .filter(n -> !n.startsWith(".") && !n.startsWith("last-")).sorted().toList();
        }
    }

    /** Host-side pod interfaces in the node namespace. */
    List<String> hostInterfaces() {
        return node.exec("ip", "-o", "link", "show", "type", "veth").stdout().lines()
                .map(l -> l.split(":")[1].strip().split("@")[0]).filter(n -> n.startsWith("jute")).toList();
    }

    boolean ping(Netns from, String address) {
        return from.exec("ping", "-c", "1", "-W", "2", address).ok();
    }

    @Override
    public void close() {
        try {
            if (agent != null) {
                agent.close();
            }
        } finally {
            synchronized (pods) {
                pods.forEach(Netns::delete);
            }
            node.delete();
            Command.run("rm", "-rf", work.toString());
        }
    }
}
