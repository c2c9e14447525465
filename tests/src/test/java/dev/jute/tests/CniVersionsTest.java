package dev.jute.tests;

import dev.jute.inbox.CniPlugin;
import dev.jute.inbox.Command;
import dev.jute.inbox.Netns;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every accepted cniVersion gets its own result format from the real executable and agent. */
class CniVersionsTest {

    private static NodeFixture node;

    @BeforeAll
    static void startNode() throws Exception {
        NodeFixture.assumeRootAndIp();
        node = new NodeFixture("10.244.8.0/24");
    }

    @AfterAll
    static void stopNode() {
        if (node != null) {
            node.close();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"})
    @SuppressWarnings("unchecked")
    void addAnswersInTheRequestedVersion(String version) {
        Netns pod = node.newPod("v" + version.replace(".", ""));
        String id = "version-" + version;
        Command.Result add = node.add(id, pod, version);
        assertEquals(0, add.exitCode(), add.stdout() + add.stderr());
        Map<String, Object> result = NodeFixture.json(add.stdout());
        assertEquals(version, result.get("cniVersion"));
        Map<String, Object> ip = (Map<String, Object>) ((List<Object>) result.get("ips")).getFirst();
        boolean legacy = version.startsWith("0.");
        assertEquals(legacy, ip.containsKey("version"), "0.3.x/0.4.0 ips carry \"version\": " + add.stdout());
        if (legacy) {
            assertEquals("4", ip.get("version"));
        }
        assertEquals(1L, ip.get("interface"), "the ip belongs to the pod interface (index 1)");
        List<Object> interfaces = (List<Object>) result.get("interfaces");
        Map<String, Object> podInterface = (Map<String, Object>) interfaces.get(1);
        assertEquals("eth0", podInterface.get("name"));
        assertEquals(pod.path().toString(), podInterface.get("sandbox"));
        assertEquals(version.equals("1.1.0"), podInterface.containsKey("mtu"), "mtu is a 1.1.0 field: " + add.stdout());
        assertTrue(node.ping(pod, NodeFixture.NODE_ADDRESS));

        Command.Result check = node.cni().invoke(CniPlugin.Invocation.check(id, pod.path(), "eth0"),
                configWithPrev(version, add.stdout()));
        if (version.startsWith("0.3")) {
            assertNotEquals(0, check.exitCode(), "CHECK does not exist before 0.4.0");
        } else {
            assertEquals(0, check.exitCode(), check.stdout());
        }
        Command.Result status = node.cni().invoke(CniPlugin.Invocation.of("STATUS"), node.config(version));
        assertEquals(version.equals("1.1.0"), status.ok(), "STATUS exists from 1.1.0 on: " + status.stdout());
        assertEquals(0, node.del(id, pod, version).exitCode());
    }

    @ParameterizedTest
    @ValueSource(strings = {"0.4.0", "1.1.0"})
    @SuppressWarnings("unchecked")
    void versionNeedsNoAgent(String version) {
        CniPlugin cni = node.cni();
        Command.Result result = cni.invoke(CniPlugin.Invocation.of("VERSION"),
                "{\"cniVersion\":\"" + version + "\",\"agentSocket\":\"/nonexistent/cni.sock\"}");
        assertEquals(0, result.exitCode(), result.stdout());
        Map<String, Object> json = NodeFixture.json(result.stdout());
        List<Object> supported = (List<Object>) json.get("supportedVersions");
        assertTrue(supported.containsAll(List.of("0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0")), result.stdout());
        assertFalse(supported.contains("0.2.0"));
    }

    private static String configWithPrev(String version, String prevResult) {
        return "{\"cniVersion\":\"" + version + "\",\"name\":\"jute-test\",\"type\":\"jute-cni\",\"agentSocket\":\""
                + node.socket() + "\",\"prevResult\":" + prevResult + "}";
    }
}
