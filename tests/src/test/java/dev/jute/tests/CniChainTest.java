package dev.jute.tests;

import dev.jute.inbox.CniPlugin;
import dev.jute.inbox.Command;
import dev.jute.inbox.Netns;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Jute in a plugin chain with Debian's reference plugins: first in the chain, its result is a valid
 * prevResult for {@code tuning}; behind another plugin, it keeps the earlier plugin's result and adds its own.
 */
class CniChainTest {

    private static final Path REFERENCE = Path.of("/usr/lib/cni");
    private static NodeFixture node;

    @BeforeAll
    static void startNode() throws Exception {
        NodeFixture.assumeRootAndIp();
        assumeTrue(Files.isExecutable(REFERENCE.resolve("tuning")), "needs containernetworking-plugins (tuning): skipped");
        node = new NodeFixture("10.244.12.0/24");
    }

    @AfterAll
    static void stopNode() {
        if (node != null) {
            node.close();
        }
    }

    @Test
    void tuningAcceptsJutesResultAsPrevResult() {
        Netns pod = node.newPod("chain-tuning");
        Command.Result add = node.add("chain-1", pod, "1.0.0");
        assertEquals(0, add.exitCode(), add.stdout());

        String tuningConfig = """
                {"cniVersion":"1.0.0","name":"jute-test","type":"tuning","mtu":1400,
                 "sysctl":{"net.ipv4.conf.eth0.accept_local":"1"},"prevResult":%s}""".formatted(add.stdout());
        CniPlugin tuning = new CniPlugin(REFERENCE.resolve("tuning"), List.of(REFERENCE.toString()), node.node);
        Command.Result tuned = tuning.invoke(CniPlugin.Invocation.add("chain-1", pod.path(), "eth0"), tuningConfig);
        assertEquals(0, tuned.exitCode(), tuned.stdout() + tuned.stderr());
        assertEquals(NodeFixture.addresses(add), NodeFixture.addresses(tuned), "tuning passes Jute's result on");
        assertTrue(pod.exec("ip", "link", "show", "eth0").stdout().contains("mtu 1400"), "tuning found eth0 through Jute's result");
        assertEquals("1", pod.exec("sysctl", "-n", "net.ipv4.conf.eth0.accept_local").stdout().strip());

        Command.Result check = tuning.invoke(CniPlugin.Invocation.check("chain-1", pod.path(), "eth0"), tuningConfig
                .replace("\"prevResult\":" + add.stdout(), "\"prevResult\":" + tuned.stdout()));
        assertEquals(0, check.exitCode(), check.stdout() + check.stderr());
        assertEquals(0, node.del("chain-1", pod, "1.0.0").exitCode());
    }

    @Test
    @SuppressWarnings("unchecked")
    void behindAnotherPluginJuteKeepsThePreviousResult() {
        Netns pod = node.newPod("chain-second");
        // What a first plugin (say, one that adds a second interface) might have returned.
        String previous = """
                {"cniVersion":"1.1.0","interfaces":[{"name":"net9","mac":"02:42:ac:11:00:09","sandbox":"%s"}],
                 "ips":[{"address":"192.0.2.9/24","gateway":"192.0.2.1","interface":0}],
                 "routes":[{"dst":"192.0.2.0/24"}],"dns":{"nameservers":["192.0.2.53"]}}""".formatted(pod.path());
        String config = """
                {"cniVersion":"1.1.0","name":"jute-test","type":"jute-cni","agentSocket":"%s","prevResult":%s}"""
                .formatted(node.socket(), previous);
        Command.Result add = node.cni().invoke(CniPlugin.Invocation.add("chain-2", pod.path(), "eth0"), config);
        assertEquals(0, add.exitCode(), add.stdout() + add.stderr());
        Map<String, Object> result = NodeFixture.json(add.stdout());
        List<Object> interfaces = (List<Object>) result.get("interfaces");
        List<Object> ips = (List<Object>) result.get("ips");
        assertEquals("net9", ((Map<String, Object>) interfaces.get(0)).get("name"));
        assertEquals(3, interfaces.size(), "the previous interface plus Jute's host and pod ends");
        assertEquals("192.0.2.9/24", ((Map<String, Object>) ips.get(0)).get("address"));
        Map<String, Object> ours = (Map<String, Object>) ips.get(1);
        assertEquals(2L, ours.get("interface"), "Jute's address points at its own pod interface (index 2)");
        assertEquals(List.of("192.0.2.53"), ((Map<String, Object>) result.get("dns")).get("nameservers"));
        assertEquals(0, node.del("chain-2", pod, "1.1.0").exitCode());
    }
}
