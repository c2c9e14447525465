package dev.jute.tests;

import dev.jute.inbox.CniPlugin;
import dev.jute.inbox.Command;
import dev.jute.inbox.Netns;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bad input gets the right CNI error object (never a stack trace), loses nothing, and the agent keeps
 * serving. The node's pool is a /29: five usable addresses, so exhausting it is cheap.
 */
class CniBadInputTest {

    private static NodeFixture node;

    @BeforeAll
    static void startNode() throws Exception {
        NodeFixture.assumeRootAndIp();
        node = new NodeFixture("10.244.9.0/29");
    }

    @AfterAll
    static void stopNode() {
        if (node != null) {
            node.close();
        }
    }

    private static void assertCniError(Command.Result result, long code) {
        assertNotEquals(0, result.exitCode(), "must fail: " + result.stdout());
        assertFalse(result.stdout().contains("Exception"), "no stack trace on stdout: " + result.stdout());
        Map<String, Object> error = NodeFixture.json(result.stdout());
        assertEquals(code, error.get("code"), result.stdout());
        assertFalse(String.valueOf(error.get("msg")).isBlank(), "msg says what failed: " + result.stdout());
    }

    private static void assertStillServing() {
        Command.Result status = node.cni().invoke(CniPlugin.Invocation.of("STATUS"), node.config("1.1.0"));
        assertTrue(status.ok() || NodeFixture.json(status.stdout()).get("code").equals(50L),
                "the agent still answers: " + status.stdout() + status.stderr());
        assertTrue(node.agent.alive(), "the agent is alive");
    }

    @Test
    void malformedJsonIsADecodingFailure() {
        Netns pod = node.newPod("bad-json");
        assertCniError(node.cni().invoke(CniPlugin.Invocation.add("bad-json", pod.path(), "eth0"),
                "{\"cniVersion\":\"1.1.0\",\"name\":"), 6);
        assertCniError(node.cni().invoke(CniPlugin.Invocation.add("bad-json", pod.path(), "eth0"), ""), 6);
        assertStillServing();
    }

    @Test
    void missingEnvironmentIsInvalidEnvironment() {
        Netns pod = node.newPod("bad-env");
        assertCniError(node.cni().invoke(new CniPlugin.Invocation("ADD", null, pod.path(), "eth0", null),
                node.config("1.1.0")), 4);
        assertCniError(node.cni().invoke(new CniPlugin.Invocation("ADD", "bad-env", pod.path(), null, null),
                node.config("1.1.0")), 4);
        assertCniError(node.cni().invoke(new CniPlugin.Invocation("SHOUT", "bad-env", pod.path(), "eth0", null),
                node.config("1.1.0")), 4);
        assertStillServing();
    }

    @Test
    void missingOrWrongConfigFieldsAreInvalidConfig() {
        Netns pod = node.newPod("bad-conf");
        assertCniError(node.cni().invoke(CniPlugin.Invocation.add("bad-conf", pod.path(), "eth0"),
                "{\"cniVersion\":\"1.1.0\",\"type\":\"jute-cni\",\"agentSocket\":\"" + node.socket() + "\"}"), 7);
        assertCniError(node.cni().invoke(CniPlugin.Invocation.add("bad-conf", pod.path(), "eth0"),
                "{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"type\":\"jute-cni\",\"mtu\":\"big\",\"agentSocket\":\""
                        + node.socket() + "\"}"), 7);
        assertStillServing();
    }

    @Test
    void unknownVersionIsIncompatible() {
        Netns pod = node.newPod("bad-ver");
        assertCniError(node.cni().invoke(CniPlugin.Invocation.add("bad-ver", pod.path(), "eth0"), node.config("9.9.9")), 1);
        assertCniError(node.cni().invoke(CniPlugin.Invocation.add("bad-ver", pod.path(), "eth0"), node.config("0.2.0")), 1);
        assertStillServing();
    }

    @Test
    void nonexistentNetnsIsUnknownContainerAndTakesNoAddress() throws Exception {
        List<String> before = node.ipamRecords();
        assertCniError(node.cni().invoke(CniPlugin.Invocation.add("ghost", Path.of("/var/run/netns/jutet-no-such-ns"),
                "eth0"), node.config("1.1.0")), 3);
        assertEquals(before, node.ipamRecords(), "nothing allocated");
        assertStillServing();
    }

    @Test
    void fullPoolIsReportedAndRecovers() throws Exception {
        List<Netns> pods = new ArrayList<>();
        List<String> ips = new ArrayList<>();
        // A /29 has 8 addresses: network, gateway and broadcast are never handed out.
        for (int i = 0; i < 5; i++) {
            Netns pod = node.newPod("full" + i);
            pods.add(pod);
            Command.Result add = node.add("full-" + i, pod, "1.1.0");
            assertEquals(0, add.exitCode(), add.stdout());
            ips.add(NodeFixture.ipv4(add));
        }
        assertEquals(5, ips.stream().distinct().count());
        assertFalse(ips.contains("10.244.9.0") || ips.contains("10.244.9.1") || ips.contains("10.244.9.7"), ips.toString());
        Netns extra = node.newPod("full-extra");
        assertCniError(node.add("full-extra", extra, "1.1.0"), 110);
        assertFalse(extra.exec("ip", "link", "show", "eth0").ok(), "a failed ADD leaves nothing in the pod");
        Command.Result status = node.cni().invoke(CniPlugin.Invocation.of("STATUS"), node.config("1.1.0"));
        assertCniError(status, 50);

        assertEquals(0, node.del("full-0", pods.getFirst(), "1.1.0").exitCode());
        Command.Result retry = node.add("full-extra", extra, "1.1.0");
        assertEquals(0, retry.exitCode(), retry.stdout());
        assertTrue(node.ping(extra, NodeFixture.NODE_ADDRESS));
        assertEquals(0, node.del("full-extra", extra, "1.1.0").exitCode());
        for (int i = 1; i < 5; i++) {
            assertEquals(0, node.del("full-" + i, pods.get(i), "1.1.0").exitCode());
        }
    }

    @Test
    void agentDownMeansTryAgainLaterAndStatusNotAvailable() {
        Netns pod = node.newPod("down");
        String config = "{\"cniVersion\":\"1.1.0\",\"name\":\"n\",\"type\":\"jute-cni\",\"agentSocket\":\"/run/jutet-none/cni.sock\"}";
        assertCniError(node.cni().invoke(CniPlugin.Invocation.add("down", pod.path(), "eth0"), config), 11);
        assertCniError(node.cni().invoke(CniPlugin.Invocation.of("STATUS"), config), 50);
    }
}
