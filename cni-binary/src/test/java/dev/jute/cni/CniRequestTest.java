package dev.jute.cni;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CniRequestTest {
    static final String CONFIG = "{\"cniVersion\":\"1.1.0\",\"name\":\"k8s-pod-network\",\"type\":\"jute-cni\"}";
    static final String PREV = "{\"cniVersion\":\"1.0.0\",\"interfaces\":[{\"name\":\"eth0\",\"sandbox\":\"/run/netns/p\"}],"
            + "\"ips\":[{\"address\":\"10.244.0.5/24\",\"interface\":0}]}";

    static Map<String, String> env(String command) {
        Map<String, String> env = new HashMap<>();
        env.put("CNI_COMMAND", command);
        env.put("CNI_CONTAINERID", "0123abcd");
        env.put("CNI_NETNS", "/var/run/netns/cni-1234");
        env.put("CNI_IFNAME", "eth0");
        env.put("CNI_PATH", "/opt/cni/bin::/usr/lib/cni");
        env.put("CNI_ARGS", "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0;"
                + "K8S_POD_INFRA_CONTAINER_ID=0123abcd;K8S_POD_UID=7f9c-11");
        env.put("HOME", "/root");
        return env;
    }

    static String config(String extraMembers) {
        return CONFIG.substring(0, CONFIG.length() - 1) + "," + extraMembers + "}";
    }

    static CniException fails(Map<String, String> env, String stdin, int code) {
        CniException e = assertThrows(CniException.class, () -> CniRequest.parse(env, stdin));
        assertEquals(code, e.code(), e.toString());
        return e;
    }

    @Test
    void parsesAdd() throws Exception {
        CniRequest r = CniRequest.parse(env("ADD"), config("\"mtu\":1450,\"runtimeConfig\":{\"portMappings\":[]},"
                + "\"args\":{\"cni\":{\"labels\":[]}},\"ipam\":{\"type\":\"host-local\"}"));
        assertEquals(CniCommand.ADD, r.command());
        assertEquals("0123abcd", r.containerId());
        assertEquals("/var/run/netns/cni-1234", r.netns());
        assertEquals("eth0", r.ifname());
        assertEquals(List.of("/opt/cni/bin", "/usr/lib/cni"), r.path());
        assertEquals(Optional.of("default"), r.podNamespace());
        assertEquals(Optional.of("web-0"), r.podName());
        assertEquals(Optional.of("7f9c-11"), r.podUid());
        assertEquals(Optional.of("0123abcd"), r.podInfraContainerId());
        assertEquals(Optional.of("1"), r.arg("IgnoreUnknown"));
        assertEquals(Optional.empty(), r.arg("MISSING"));
        assertNull(r.environment().get("HOME"), "only CNI_* variables are kept");

        NetworkConfig c = r.config();
        assertEquals(CniVersion.V1_1_0, c.cniVersion());
        assertEquals(CniVersion.V1_1_0, r.responseVersion());
        assertEquals("k8s-pod-network", c.name());
        assertEquals("jute-cni", c.type());
        assertEquals(1450, c.mtu());
        assertEquals(Path.of("/run/jute/cni.sock"), c.agentSocket());
        assertEquals(Duration.ofSeconds(60), c.agentTimeout());
        assertEquals(Map.of("portMappings", List.of()), c.runtimeConfig());
        assertEquals(Map.of("cni", Map.of("labels", List.of())), c.args());
        assertEquals(Map.of("type", "host-local"), c.raw().get("ipam"));
        assertNull(c.prevResult());
        assertNull(c.validAttachments());
    }

    @Test
    void chainedAddCarriesPrevResultInTheConfigVersion() throws Exception {
        CniRequest r = CniRequest.parse(env("ADD"), "{\"cniVersion\":\"0.3.1\",\"name\":\"n\",\"type\":\"jute-cni\","
                + "\"agentSocket\":\"/tmp/a.sock\",\"agentTimeoutSeconds\":5,\"prevResult\":{\"ips\":[{\"version\":\"4\","
                + "\"address\":\"10.1.0.2/16\"}]}}");
        assertEquals(CniVersion.V0_3_1, r.config().cniVersion());
        assertEquals(IpPrefix.parse("10.1.0.2/16"), r.config().prevResult().ips().get(0).address());
        assertEquals(Path.of("/tmp/a.sock"), r.config().agentSocket());
        assertEquals(Duration.ofSeconds(5), r.config().agentTimeout());
    }

    @Test
    void missingCommand() {
        Map<String, String> env = env("ADD");
        env.remove("CNI_COMMAND");
        CniException e = fails(env, CONFIG, 4);
        assertTrue(e.getMessage().contains("CNI_COMMAND"));
        env.put("CNI_COMMAND", "");
        fails(env, CONFIG, 4);
    }

    @ParameterizedTest
    @ValueSource(strings = {"add", "INIT", "FINALIZE", "DELETE", " ADD"})
    void unknownCommand(String command) {
        CniException e = fails(env(command), CONFIG, 4);
        assertTrue(e.getMessage().contains("CNI_COMMAND"), e.getMessage());
    }

    @Test
    void missingContainerVariablesAreListedTogether() {
        Map<String, String> env = env("ADD");
        env.remove("CNI_CONTAINERID");
        env.put("CNI_IFNAME", "");
        CniException e = fails(env, CONFIG, 4);
        assertEquals("required environment variables [CNI_CONTAINERID,CNI_IFNAME] missing", e.getMessage());

        env = env("CHECK");
        env.remove("CNI_NETNS");
        e = fails(env, config("\"prevResult\":" + PREV), 4);
        assertTrue(e.getMessage().contains("[CNI_NETNS]"), e.getMessage());

        env = env("DEL");
        env.remove("CNI_IFNAME");
        fails(env, CONFIG, 4);
    }

    @Test
    void delMayHaveAnEmptyNetns() throws Exception {
        Map<String, String> env = env("DEL");
        env.put("CNI_NETNS", "");
        CniRequest r = CniRequest.parse(env, CONFIG);
        assertEquals(CniCommand.DEL, r.command());
        assertNull(r.netns());
        env.remove("CNI_NETNS");
        assertNull(CniRequest.parse(env, CONFIG).netns());
        // ...but ADD may not
        Map<String, String> add = env("ADD");
        add.put("CNI_NETNS", "");
        fails(add, CONFIG, 4);
    }

    @ParameterizedTest
    @ValueSource(strings = {"-abc", "_abc", ".abc", "ab/c", "ab c", "ab:c", "ab\u00e9", "a;b"})
    void invalidContainerId(String id) {
        Map<String, String> env = env("ADD");
        env.put("CNI_CONTAINERID", id);
        CniException e = fails(env, CONFIG, 4);
        assertTrue(e.getMessage().contains("CNI_CONTAINERID"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"abc", "A", "0", "a.b-c_d", "k8s_POD_web-0_default_7f9c-11_0"})
    void validContainerIds(String id) throws Exception {
        Map<String, String> env = env("ADD");
        env.put("CNI_CONTAINERID", id);
        assertEquals(id, CniRequest.parse(env, CONFIG).containerId());
    }

    @ParameterizedTest
    @ValueSource(strings = {".", "..", "eth/0", "eth:0", "eth 0", "eth\t0", "eth\u00a00", "a234567890123456",
            "\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9"})
    void invalidInterfaceName(String name) {
        Map<String, String> env = env("ADD");
        env.put("CNI_IFNAME", name);
        CniException e = fails(env, CONFIG, 4);
        assertTrue(e.getMessage().contains("CNI_IFNAME"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"eth0", "a23456789012345", "net1.100", "veth-x_y", "\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9"})
    void validInterfaceNames(String name) throws Exception {
        Map<String, String> env = env("ADD");
        env.put("CNI_IFNAME", name);
        assertEquals(name, CniRequest.parse(env, CONFIG).ifname());
    }

    @Test
    void relativeNetnsIsInvalid() {
        Map<String, String> env = env("ADD");
        env.put("CNI_NETNS", "netns/cni-1");
        CniException e = fails(env, CONFIG, 4);
        assertTrue(e.getMessage().contains("CNI_NETNS"));
    }

    @Test
    void cniArgs() throws Exception {
        assertEquals(Map.of(), CniRequest.parseArgs(null));
        assertEquals(Map.of(), CniRequest.parseArgs(""));
        assertEquals(Map.of("A", "1", "B", "x=y", "C", ""), CniRequest.parseArgs("A=1;;B=x=y;C=;"));
        for (String bad : new String[] {"A", "A=1;B", "=1", "A=1;=2"}) {
            CniException e = assertThrows(CniException.class, () -> CniRequest.parseArgs(bad), bad);
            assertEquals(4, e.code());
            assertTrue(e.getMessage().contains("CNI_ARGS"));
        }
        Map<String, String> env = env("ADD");
        env.put("CNI_ARGS", "K8S_POD_NAME");
        fails(env, CONFIG, 4);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "  ", "{", "not json", "{\"cniVersion\":\"1.0.0\",}", "{\"a\":1,\"a\":2}"})
    void undecodableConfigIsCode6(String stdin) {
        fails(env("ADD"), stdin, 6);
    }

    @Test
    void configFieldErrorsAreCode7AndNameTheField() {
        String[][] cases = {
                {"[]", "object"},
                {"{\"cniVersion\":1.0,\"name\":\"n\",\"type\":\"t\"}", "\"cniVersion\""},
                {"{\"cniVersion\":\"1.0.0\",\"type\":\"t\"}", "\"name\""},
                {"{\"cniVersion\":\"1.0.0\",\"name\":\"bad name\",\"type\":\"t\"}", "\"name\""},
                {"{\"cniVersion\":\"1.0.0\",\"name\":7,\"type\":\"t\"}", "\"name\""},
                {"{\"cniVersion\":\"1.0.0\",\"name\":\"n\"}", "\"type\""},
                {"{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"plugins\":[]}", "configuration list"},
                {config("\"mtu\":\"1500\""), "\"mtu\""},
                {config("\"mtu\":1500.0"), "\"mtu\""},
                {config("\"mtu\":67"), "\"mtu\""},
                {config("\"mtu\":65536"), "\"mtu\""},
                {config("\"agentSocket\":\"run/jute.sock\""), "\"agentSocket\""},
                {config("\"agentSocket\":5"), "\"agentSocket\""},
                {config("\"agentTimeoutSeconds\":0"), "\"agentTimeoutSeconds\""},
                {config("\"runtimeConfig\":[]"), "\"runtimeConfig\""},
                {config("\"args\":\"x\""), "\"args\""},
                {config("\"prevResult\":[]"), "\"prevResult\""},
                {config("\"prevResult\":{\"ips\":[{\"address\":\"bad\"}]}"), "\"prevResult.ips[0].address\""},
                {config("\"cni.dev/valid-attachments\":{}"), "\"cni.dev/valid-attachments\""},
                {config("\"cni.dev/valid-attachments\":[{\"containerID\":\"a\"}]"),
                        "\"cni.dev/valid-attachments[0].ifname\""},
        };
        for (String[] c : cases) {
            CniException e = assertThrows(CniException.class, () -> CniRequest.parse(env("ADD"), c[0]), c[0]);
            assertEquals(7, e.code(), c[0] + " -> " + e);
            assertTrue(e.getMessage().contains(c[1]), c[0] + " -> " + e.getMessage());
        }
    }

    @Test
    void mtuBoundsAreInclusive() throws Exception {
        assertEquals(68, CniRequest.parse(env("ADD"), config("\"mtu\":68")).config().mtu());
        assertEquals(65535, CniRequest.parse(env("ADD"), config("\"mtu\":65535")).config().mtu());
    }

    @ParameterizedTest
    @ValueSource(strings = {"0.1.0", "0.2.0", "1.2.0", ""})
    void unsupportedConfigVersionIsCode1(String version) {
        fails(env("ADD"), "{\"cniVersion\":\"" + version + "\",\"name\":\"n\",\"type\":\"t\"}", 1);
    }

    @Test
    void missingConfigVersionIsCode1() {
        fails(env("ADD"), "{\"name\":\"n\",\"type\":\"t\"}", 1);
    }

    @Test
    void commandsNotInTheConfigVersionAreCode1() {
        String v031 = "{\"cniVersion\":\"0.3.1\",\"name\":\"n\",\"type\":\"t\",\"prevResult\":{}}";
        CniException e = fails(env("CHECK"), v031, 1);
        assertEquals("config version 0.3.1 does not allow CHECK", e.getMessage());
        String v100 = "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"t\",\"cni.dev/valid-attachments\":[]}";
        assertEquals("config version 1.0.0 does not allow STATUS", fails(env("STATUS"), v100, 1).getMessage());
        assertEquals("config version 1.0.0 does not allow GC", fails(env("GC"), v100, 1).getMessage());
    }

    @Test
    void checkNeedsPrevResult() throws Exception {
        CniException e = fails(env("CHECK"), CONFIG, 7);
        assertTrue(e.getMessage().contains("\"prevResult\""));
        CniRequest r = CniRequest.parse(env("CHECK"), "{\"cniVersion\":\"0.4.0\",\"name\":\"n\",\"type\":\"t\","
                + "\"prevResult\":{\"ips\":[{\"version\":\"4\",\"address\":\"10.0.0.2/24\"}]}}");
        assertEquals(1, r.config().prevResult().ips().size());
        // CHECK must not ignore a broken prevResult
        fails(env("CHECK"), config("\"prevResult\":{\"ips\":[{\"address\":\"x\"}]}"), 7);
    }

    @Test
    void delToleratesABrokenPrevResult() throws Exception {
        CniRequest r = CniRequest.parse(env("DEL"), config("\"prevResult\":{\"ips\":[{\"address\":\"x\"}]}"));
        assertNull(r.config().prevResult());
        assertTrue(r.config().prevResultProblem().contains("prevResult.ips[0].address"));
        assertEquals(1, CniRequest.parse(env("DEL"), config("\"prevResult\":" + PREV)).config().prevResult().ips().size());
    }

    @Test
    void statusAndGcNeedNoContainer() throws Exception {
        Map<String, String> env = new HashMap<>();
        env.put("CNI_COMMAND", "STATUS");
        CniRequest status = CniRequest.parse(env, CONFIG);
        assertEquals(CniCommand.STATUS, status.command());
        assertNull(status.containerId());
        assertNull(status.ifname());

        env.put("CNI_COMMAND", "GC");
        CniRequest gc = CniRequest.parse(env, config("\"cni.dev/valid-attachments\":[{\"containerID\":\"c1\","
                + "\"ifname\":\"eth0\"},{\"containerID\":\"c2\",\"ifname\":\"net1\"}]"));
        assertEquals(List.of(new ValidAttachment("c1", "eth0"), new ValidAttachment("c2", "net1")),
                gc.config().validAttachments());
        assertEquals(List.of(), CniRequest.parse(env, config("\"cni.dev/valid-attachments\":[]"))
                .config().validAttachments());
    }

    @Test
    void gcWithoutValidAttachmentsIsRefused() {
        Map<String, String> env = new HashMap<>();
        env.put("CNI_COMMAND", "GC");
        CniException e = fails(env, CONFIG, 7);
        assertTrue(e.getMessage().contains("cni.dev/valid-attachments"));
    }

    @Test
    void versionNeedsNothingButMayNameAVersion() throws Exception {
        Map<String, String> env = Map.of("CNI_COMMAND", "VERSION");
        assertNull(CniRequest.parse(env, "").requestedVersion());
        assertEquals(CniVersion.LATEST, CniRequest.parse(env, "").responseVersion());
        CniRequest r = CniRequest.parse(env, "{\"cniVersion\":\"0.4.0\"}");
        assertEquals("0.4.0", r.requestedVersion());
        assertEquals(CniVersion.V0_4_0, r.responseVersion());
        assertNull(r.config());
        assertEquals(CniVersion.LATEST, CniRequest.parse(env, "{\"cniVersion\":\"0.2.0\"}").responseVersion());
        fails(env, "{nope", 6);
    }
}
