package dev.jute.tests.policy;

import dev.jute.inbox.AgentProcess;
import dev.jute.inbox.CniPlugin;
import dev.jute.inbox.Command;
import dev.jute.inbox.JuteArtifacts;
import dev.jute.inbox.Netns;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * NetworkPolicy with real traffic: a real agent in a node namespace (static mode, cluster state from a
 * {@code --policy-state} file of manifests, maps pinned on a BPF filesystem this test mounts), three
 * pods wired by jute-cni with the CNI_ARGS a kubelet passes, TCP servers in one of them. A default-deny
 * plus allow policy admits exactly the allowed client (and its replies), a policy change takes effect
 * on new connections, and the pinned maps keep enforcing while the agent is down and after it restarts.
 */
class NetworkPolicyEnforcementTest {

    private static final String PREFIX = "jutep-";
    private static final String NAMESPACES = """
            apiVersion: v1
            kind: Namespace
            metadata: {name: x}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {namespace: x, name: server, labels: {app: server}}
            spec: {containers: [{name: c, image: none, ports: [{name: http, containerPort: 80}]}]}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {namespace: x, name: client, labels: {app: client}}
            spec: {containers: [{name: c, image: none}]}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {namespace: x, name: other, labels: {app: other}}
            spec: {containers: [{name: c, image: none}]}
            """;
    private static final String DENY_ALL = """
            ---
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {namespace: x, name: deny-all}
            spec: {podSelector: {}, policyTypes: [Ingress]}
            """;

    private static String allowClient(int port) {
        return """
                ---
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {namespace: x, name: allow-client}
                spec:
                  podSelector: {matchLabels: {app: server}}
                  ingress: [{from: [{podSelector: {matchLabels: {app: client}}}], ports: [{protocol: TCP, port: %d}]}]
                """.formatted(port);
    }

    private final String run = Integer.toHexString(ThreadLocalRandom.current().nextInt(0x1000, 0xffff));
    private final List<Netns> namespaces = new ArrayList<>();
    private final List<Process> servers = new ArrayList<>();
    private Path work;
    private Path bpf;
    private Netns node;
    private AgentProcess agent;

    @Test
    void defaultDenyAllowUpdateAndRestartWithRealTraffic() throws Exception {
        assumeTrue(Netns.available(), "needs root and iproute2 (ip): skipped");
        assumeTrue(Command.exists("socat"), "needs socat (Debian package socat): skipped");
        assumeTrue(Files.exists(Path.of("/usr/lib/x86_64-linux-gnu/libbpf.so.1")) || Files.exists(Path.of("/usr/lib/libbpf.so.1")),
                "needs libbpf (Debian package libbpf1): skipped");
        Netns.deleteAll(PREFIX);
        try {
            work = Files.createTempDirectory(PREFIX + run);
            bpf = work.resolve("bpf");
            Files.createDirectories(bpf);
            Command.run("mount", "-t", "bpf", "bpf", bpf.toString()).check();
            node = namespace("node");
            Path stateFile = work.resolve("cluster.yaml");
            writeState(stateFile, NAMESPACES);
            agent = startAgent(stateFile);

            Netns server = namespace("server");
            Netns client = namespace("client");
            Netns other = namespace("other");
            String serverIp = wire("server", server);
            wire("client", client);
            wire("other", other);
            serve(server, 80);
            serve(server, 8080);

            assertTrue(connects(client, serverIp, 80), "no policy: everything is allowed\n" + agent.log());
            assertTrue(connects(other, serverIp, 80), "no policy: everything is allowed");

            writeState(stateFile, NAMESPACES + DENY_ALL + allowClient(80));
            assertTrue(eventually(() -> !connects(other, serverIp, 80)), "default deny takes effect\n" + agent.log());
            assertTrue(connects(client, serverIp, 80), "the allowed client connects and its replies come back");
            assertFalse(connects(client, serverIp, 8080), "only the allowed port");
            assertFalse(connects(other, serverIp, 80), "denied");

            writeState(stateFile, NAMESPACES + DENY_ALL + allowClient(8080));
            assertTrue(eventually(() -> connects(client, serverIp, 8080)), "the updated policy allows 8080\n" + agent.log());
            assertFalse(connects(client, serverIp, 80), "new connections to 80 are denied after the update");

            agent.kill();
            assertTrue(connects(client, serverIp, 8080), "with no agent running the pinned maps keep allowing");
            assertFalse(connects(other, serverIp, 8080), "with no agent running the pinned maps keep denying");

            agent = startAgent(stateFile);
            assertTrue(eventually(() -> agent.log().contains("policy maps converged")), agent.log());
            assertTrue(connects(client, serverIp, 8080), "after the restart allowed traffic still passes\n" + agent.log());
            assertFalse(connects(other, serverIp, 8080), "after the restart denied traffic is still denied");
            assertFalse(connects(client, serverIp, 80), "after the restart the updated policy is still in force");

            writeState(stateFile, NAMESPACES);
            assertTrue(eventually(() -> connects(other, serverIp, 80)), "deleting the policies opens the pod again\n" + agent.log());
        } finally {
            cleanUp();
        }
    }

    private AgentProcess startAgent(Path stateFile) {
        AgentProcess.Options options = new AgentProcess.Options("node-" + run, List.of("10.244.31.0/24"),
                work.resolve("run/cni.sock"), work.resolve("state"), 1500);
        return AgentProcess.start(node, options, List.of("--bpf-pin-dir", bpf.resolve("pins").toString(),
                "--policy-state", stateFile.toString()));
    }

    /** Replaces the file in one rename, as an editor or a config-map update does. */
    private void writeState(Path file, String content) throws IOException {
        Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(temporary, content);
        Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private Netns namespace(String name) {
        Netns netns = Netns.create(PREFIX + run + "-" + name);
        namespaces.add(netns);
        return netns;
    }

    /** CNI ADD for pod x/{@code name}, as a kubelet calls it; returns the pod's IPv4 address. */
    private String wire(String name, Netns pod) {
        String config = """
                {"cniVersion":"1.1.0","name":"jute-test","type":"jute-cni","agentSocket":"%s"}"""
                .formatted(work.resolve("run/cni.sock"));
        CniPlugin cni = new CniPlugin(JuteArtifacts.cniLauncher(), List.of(), null);
        Command.Result add = cni.invoke(CniPlugin.Invocation.add("policy-" + run + "-" + name, pod.path(), "eth0")
                .withArgs("IgnoreUnknown=1;K8S_POD_NAMESPACE=x;K8S_POD_NAME=" + name), config);
        assertEquals(0, add.exitCode(), add.stdout() + add.stderr() + "\n" + agent.log());
        int start = add.stdout().indexOf("\"address\":\"") + "\"address\":\"".length();
        return add.stdout().substring(start, add.stdout().indexOf('/', start));
    }

    private void serve(Netns pod, int port) throws IOException, InterruptedException {
        servers.add(new ProcessBuilder(pod.prefix("socat", "TCP-LISTEN:" + port + ",fork,reuseaddr", "SYSTEM:echo ok"))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start());
        assertTrue(eventually(() -> pod.exec("ss", "-ltn").stdout().contains(":" + port + " ")), "server on " + port);
    }

    /** A new TCP connection that gets the server's reply within two seconds. */
    private static boolean connects(Netns from, String ip, int port) {
        Command.Result result = Command.run(from.prefix("socat", "-T2", "-", "TCP:" + ip + ":" + port + ",connect-timeout=2"),
                "", Map.of(), Duration.ofSeconds(10));
        return result.ok() && result.stdout().contains("ok");
    }

    private static boolean eventually(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return true;
            }
            Thread.sleep(200);
        }
        return false;
    }

    private void cleanUp() {
        servers.forEach(Process::destroyForcibly);
        if (agent != null) {
            agent.close();
        }
        namespaces.forEach(Netns::delete);
        if (bpf != null) {
            Command.run("umount", "-l", bpf.toString());
        }
        if (work != null) {
            Command.run("rm", "-rf", work.toString());
        }
    }
}
