package dev.jute.tests.bgp;

import dev.jute.cni.Json;
import dev.jute.inbox.AgentProcess;
import dev.jute.inbox.CniPlugin;
import dev.jute.inbox.Command;
import dev.jute.inbox.JuteArtifacts;
import dev.jute.inbox.Netns;
import dev.jute.inbox.bgp.BgpLab;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Three Jute nodes on one L2 segment (a bridge in a namespace of its own, like kind's Docker network) form
 * an iBGP full mesh from {@code --bgp-mesh-peer}; pods wired by the real jute-cni on different nodes reach
 * each other over IPv4 and IPv6 through the BGP-learned kernel routes, also while a node's agent restarts.
 */
class BgpMeshPodsTest {

    static final int NODES = 3;
    static final Duration WAIT = Duration.ofSeconds(40);

    record Node(String name, Netns netns, String ipv4, String ipv6, String podCidr4, String podCidr6, Path work) {
        Path socket() {
            return work.resolve("run/cni.sock");
        }

        Path admin() {
            return work.resolve("run/admin.sock");
        }
    }

    @Test
    void podsOnDifferentNodesReachEachOtherThroughBgpRoutes() throws Exception {
        assumeTrue(Netns.available(), "needs root and iproute2 (ip): skipped");
        BgpLab.cleanLeftovers();
        String run = BgpLab.PREFIX + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x1000, 0xffff)) + "-";
        Path work = Files.createTempDirectory(run);
        List<AgentProcess> agents = new ArrayList<>();
        try {
            Netns segment = Netns.create(run + "seg");
            segment.exec("ip", "link", "add", "br0", "type", "bridge").check();
            segment.exec("ip", "link", "set", "br0", "up").check();
            List<Node> nodes = new ArrayList<>();
            for (int i = 1; i <= NODES; i++) {
                Netns ns = Netns.create(run + "n" + i);
                segment.exec("ip", "link", "add", "port" + i, "type", "veth", "peer", "name", "eth0", "netns", ns.name()).check();
                segment.exec("ip", "link", "set", "port" + i, "master", "br0", "up").check();
                Node node = new Node("node" + i, ns, "172.31.100." + (i + 1), "fd00:31:100::" + (i + 1),
                        "10.240." + i + ".0/24", "fd00:240:" + i + "::/64", work.resolve("node" + i));
                ns.exec("ip", "addr", "add", node.ipv4() + "/24", "dev", "eth0").check();
                ns.exec("ip", "addr", "add", node.ipv6() + "/64", "dev", "eth0", "nodad").check();
                ns.exec("ip", "link", "set", "eth0", "up").check();
                ns.sysctl("net.ipv4.ip_forward", "1");
                ns.sysctl("net.ipv6.conf.all.forwarding", "1");
                nodes.add(node);
            }
            for (Node node : nodes) {
                agents.add(startAgent(node, nodes));
            }

            // Every node learns the two others' pod CIDRs, both families, via their node addresses.
            for (Node node : nodes) {
                for (Node other : nodes) {
                    if (other == node) {
                        continue;
                    }
                    BgpLab.await(node.name() + " routes to " + other.name(), WAIT,
                            () -> node.netns().exec("ip", "route", "show", other.podCidr4(), "proto", "74").stdout().contains("via " + other.ipv4())
                                  && node.netns().exec("ip", "-6", "route", "show", other.podCidr6(), "proto", "74").stdout().contains("via " + other.ipv6()),
                            () -> node.netns().exec("ip", "route").stdout() + node.netns().exec("ip", "-6", "route").stdout()
                                  + agents.get(nodes.indexOf(node)).log());
                }
            }

            Netns podA = Netns.create(run + "pa");
            Netns podB = Netns.create(run + "pb");
            List<String> a = addPod(nodes.get(0), podA, "pod-a");
            List<String> b = addPod(nodes.get(1), podB, "pod-b");
            assertEquals(2, a.size(), "dual stack: " + a);
            assertTrue(a.get(0).startsWith("10.240.1."), a.toString());
            assertTrue(b.get(0).startsWith("10.240.2."), b.toString());
            for (int family = 0; family < 2; family++) {
                assertTrue(ping(podA, b.get(family)), "pod-a -> pod-b " + b.get(family));
                assertTrue(ping(podB, a.get(family)), "pod-b -> pod-a " + a.get(family));
            }

            // node2's agent restarts: pod traffic keeps flowing (routes stay on all sides), then all is as before.
            ContinuityProbe probe = new ContinuityProbe("node1's route to node2's pods",
                    () -> nodes.get(0).netns().exec("ip", "route", "show", nodes.get(1).podCidr4(), "proto", "74").stdout().contains("via"));
            agents.get(1).close();
            assertTrue(ping(podA, b.get(0)), "pods reachable while node2's agent is down");
            agents.set(1, startAgent(nodes.get(1), nodes));
            Map<String, Object> peers = BgpCliProbe.awaitAllEstablished(nodes.get(1).admin(), NODES - 1, WAIT);
            assertEquals(NODES - 1, ((List<?>) peers.get("peers")).size());
            Thread.sleep(1_000);
            probe.assertNeverBroken();
            assertTrue(ping(podA, b.get(0)) && ping(podA, b.get(1)), "pods reachable after the restart");
        } finally {
            for (AgentProcess agent : agents) {
                agent.close();
            }
            Netns.deleteAll(run);
            Command.run("rm", "-rf", work.toString());
        }
    }

    private static AgentProcess startAgent(Node node, List<Node> nodes) {
        List<String> args = new ArrayList<>(List.of("--routing", "bgp", "--node-ip", node.ipv4(), "--node-ip", node.ipv6(),
                "--admin-socket", node.admin().toString(), "--bgp-graceful-restart-time", "60"));
        for (Node other : nodes) {
            // The own address is in the list too, as the Kubernetes node list will have it: the agent skips it.
            args.add("--bgp-mesh-peer");
            args.add(other.ipv4());
        }
        return AgentProcess.start(node.netns(), new AgentProcess.Options(node.name(), List.of(node.podCidr4(), node.podCidr6()),
                node.socket(), node.work().resolve("state"), 1500), args);
    }

    @SuppressWarnings("unchecked")
    private static List<String> addPod(Node node, Netns pod, String id) throws Exception {
        String config = """
                {"cniVersion":"1.1.0","name":"jute-bgp","type":"jute-cni","agentSocket":"%s"}""".formatted(node.socket());
        Command.Result add = new CniPlugin(JuteArtifacts.cniLauncher(), List.of(), null)
                .invoke(CniPlugin.Invocation.add(id, pod.path(), "eth0"), config);
        assertEquals(0, add.exitCode(), add.stdout() + add.stderr());
        Map<String, Object> result = (Map<String, Object>) Json.parse(add.stdout());
        List<String> addresses = new ArrayList<>();
        for (Object ip : (List<Object>) result.get("ips")) {
            String cidr = (String) ((Map<String, Object>) ip).get("address");
            addresses.add(cidr.substring(0, cidr.indexOf('/')));
        }
        return addresses;
    }

    private static boolean ping(Netns from, String address) {
        return from.exec("ping", "-c", "1", "-W", "2", address).ok();
    }
}
