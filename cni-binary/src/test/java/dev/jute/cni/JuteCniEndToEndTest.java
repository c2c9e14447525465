package dev.jute.cni;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the real executable in a fresh JVM, as a container runtime would: environment variables,
 * the configuration on stdin, the answer on stdout and the exit status.
 */
class JuteCniEndToEndTest {
    static List<String> launcher;

    @TempDir
    Path dir;

    /** The built jar when it is up to date, else target/classes (tests run before packaging). */
    @BeforeAll
    static void findExecutable() throws IOException {
        Path target = Path.of("target").toAbsolutePath();
        Path jar = target.resolve("jute-cni.jar");
        Path classes = target.resolve("classes");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        launcher = new ArrayList<>(List.of(java, "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:auto"));
        if (Files.exists(jar) && Files.getLastModifiedTime(jar).compareTo(newestClass(classes)) >= 0) {
            launcher.addAll(List.of("-jar", jar.toString()));
        } else {
            launcher.addAll(List.of("-cp", classes.toString(), "dev.jute.cni.JuteCni"));
        }
    }

    private static FileTime newestClass(Path classes) throws IOException {
        try (Stream<Path> files = Files.walk(classes)) {
            return files.map(p -> {
                try {
                    return Files.getLastModifiedTime(p);
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            }).max(FileTime::compareTo).orElse(FileTime.fromMillis(0));
        }
    }

    record Run(int exit, String stdout, String stderr) { }

    static Run run(Map<String, String> env, String stdin) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(launcher);
        pb.environment().clear();
        pb.environment().putAll(env);
        Process p = pb.start();
        try (OutputStream in = p.getOutputStream()) {
            in.write(stdin.getBytes(StandardCharsets.UTF_8));
        }
        byte[] out = p.getInputStream().readAllBytes();
        byte[] err = p.getErrorStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "jute-cni did not exit");
        return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
    }

    static Map<String, String> env(String command) {
        Map<String, String> env = new HashMap<>();
        env.put("CNI_COMMAND", command);
        env.put("CNI_CONTAINERID", "9f3c1d2e");
        env.put("CNI_NETNS", "/var/run/netns/cni-9f3c");
        env.put("CNI_IFNAME", "eth0");
        env.put("CNI_PATH", "/opt/cni/bin");
        env.put("CNI_ARGS", "K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0");
        env.put("UNRELATED", "not forwarded");
        return env;
    }

    String config(String version, Path socket) {
        return "{\"cniVersion\":\"" + version + "\",\"name\":\"k8s-pod-network\",\"type\":\"jute-cni\","
                + "\"agentSocket\":\"" + socket + "\",\"agentTimeoutSeconds\":2}";
    }

    static Map<String, Object> errorObject(Run run) throws Exception {
        assertEquals(1, run.exit(), run.toString());
        Map<String, Object> error = Json.parseObject(run.stdout());
        assertFalse(run.stdout().contains("\tat "), "no stack trace on stdout");
        return error;
    }

    @Test
    void versionIsAnsweredWithoutAnAgent() throws Exception {
        Run run = run(Map.of("CNI_COMMAND", "VERSION"), "{\"cniVersion\":\"0.4.0\"}");
        assertEquals(0, run.exit(), run.toString());
        assertEquals("{\"cniVersion\":\"0.4.0\",\"supportedVersions\":[\"0.3.0\",\"0.3.1\",\"0.4.0\",\"1.0.0\",\"1.1.0\"]}",
                run.stdout());
        Run empty = run(Map.of("CNI_COMMAND", "VERSION"), "");
        assertEquals(0, empty.exit());
        assertTrue(empty.stdout().startsWith("{\"cniVersion\":\"1.1.0\","), empty.stdout());
    }

    @Test
    void addWithoutAgentIsTryAgainLater() throws Exception {
        Path socket = dir.resolve("agent.sock");
        Map<String, Object> error = errorObject(run(env("ADD"), config("1.0.0", socket)));
        assertEquals("1.0.0", error.get("cniVersion"));
        assertEquals(11L, error.get("code"));
        assertTrue(((String) error.get("msg")).contains(socket.toString()), error.toString());
    }

    @Test
    void statusWithoutAgentIsPluginNotAvailable() throws Exception {
        Path socket = dir.resolve("agent.sock");
        Map<String, String> env = new HashMap<>();
        env.put("CNI_COMMAND", "STATUS");
        env.put("CNI_PATH", "/opt/cni/bin");
        Map<String, Object> error = errorObject(run(env, config("1.1.0", socket)));
        assertEquals("1.1.0", error.get("cniVersion"));
        assertEquals(50L, error.get("code"));
    }

    @Test
    void invalidInvocationIsReportedLocally() throws Exception {
        Map<String, String> env = env("ADD");
        env.remove("CNI_IFNAME");
        Map<String, Object> error = errorObject(run(env, config("0.4.0", dir.resolve("a.sock"))));
        assertEquals(4L, error.get("code"));
        assertEquals("0.4.0", error.get("cniVersion"));

        error = errorObject(run(env("ADD"), "{\"cniVersion\":\"0.2.0\",\"name\":\"n\",\"type\":\"jute-cni\"}"));
        assertEquals(1L, error.get("code"));
        assertEquals("1.1.0", error.get("cniVersion"));

        error = errorObject(run(env("ADD"), "{\"cniVersion\":"));
        assertEquals(6L, error.get("code"));

        Run noCommand = run(Map.of(), "");
        assertEquals(4L, errorObject(noCommand).get("code"));
        assertTrue(noCommand.stderr().contains("jute-cni"), noCommand.stderr());
    }

    @Test
    void agentAnswerIsPrintedVerbatimWithItsExitCode() throws Exception {
        String result = "{\"cniVersion\":\"1.1.0\",\"interfaces\":[{\"name\":\"eth0\",\"sandbox\":\"/var/run/netns/cni-9f3c\"}],"
                + "\"ips\":[{\"address\":\"10.244.1.7/24\",\"interface\":0}],\"dns\":{}}\n";
        try (FakeAgent agent = new FakeAgent(dir.resolve("agent.sock"), AgentProtocol.Response.success(result))) {
            String stdin = config("1.1.0", agent.socket());
            Run run = run(env("ADD"), stdin);
            assertEquals(0, run.exit(), run.toString());
            assertEquals(result, run.stdout());

            AgentProtocol.Request got = agent.nextRequest();
            assertEquals(stdin, got.stdin());
            assertEquals("ADD", got.environment().get("CNI_COMMAND"));
            assertEquals("9f3c1d2e", got.environment().get("CNI_CONTAINERID"));
            assertEquals("K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0", got.environment().get("CNI_ARGS"));
            assertFalse(got.environment().containsKey("UNRELATED"));

            String error = "{\"cniVersion\":\"1.1.0\",\"code\":110,\"msg\":\"address pool exhausted\"}";
            new FakeAgentAnswer(agent).set(new AgentProtocol.Response(1, error));
            Run failed = run(env("ADD"), stdin);
            assertEquals(1, failed.exit());
            assertEquals(error, failed.stdout());

            new FakeAgentAnswer(agent).set(new AgentProtocol.Response(0, ""));
            Run del = run(env("DEL"), stdin);
            assertEquals(0, del.exit());
            assertEquals("", del.stdout());
        }
    }

    @Test
    void silentAgentBecomesTryAgainLater() throws Exception {
        try (FakeAgent agent = new FakeAgent(dir.resolve("agent.sock"), null).behave(FakeAgent.Behaviour.NEVER_ANSWER)) {
            Map<String, Object> error = errorObject(run(env("ADD"), config("1.1.0", agent.socket())));
            assertEquals(11L, error.get("code"));
        }
    }

    @Test
    void strangePeerIsAnInternalError() throws Exception {
        try (FakeAgent agent = new FakeAgent(dir.resolve("agent.sock"), null).behave(FakeAgent.Behaviour.GARBAGE)) {
            Map<String, Object> error = errorObject(run(env("ADD"), config("1.1.0", agent.socket())));
            assertEquals(999L, error.get("code"));
        }
    }

    /** Small helper to change the canned answer between runs. */
    record FakeAgentAnswer(FakeAgent agent) {
        void set(AgentProtocol.Response response) {
            agent.answer(response);
        }
    }
}
