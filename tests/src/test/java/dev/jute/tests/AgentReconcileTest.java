package dev.jute.tests;

import dev.jute.inbox.Command;
import dev.jute.inbox.Netns;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A pod whose namespace disappears while the agent is down (the runtime crashed too, so no DEL will ever
 * come): the restarted agent releases its address and removes its host interface; a live pod keeps both.
 */
class AgentReconcileTest {

    @Test
    void restartReleasesAllocationsOfVanishedNamespaces() throws Exception {
        NodeFixture.assumeRootAndIp();
        try (NodeFixture node = new NodeFixture("10.244.14.0/24", "fd00:10:244:14::/64")) {
            Netns gone = node.newPod("gone");
            Netns alive = node.newPod("alive");
            Command.Result addGone = node.add("reconcile-gone", gone, "1.1.0");
            Command.Result addAlive = node.add("reconcile-alive", alive, "1.1.0");
            assertEquals(0, addGone.exitCode(), addGone.stdout());
            assertEquals(0, addAlive.exitCode(), addAlive.stdout());
            assertEquals(4, node.ipamRecords().size());

            node.agent.kill();
            // A stray host interface that no allocation explains, as a crash between steps could leave.
            node.node.exec("ip", "link", "add", "jute0123456789a", "type", "veth", "peer", "name", "jutet-peer").check();
            gone.delete();
            node.startAgent();

            assertEquals(NodeFixture.addresses(addAlive).stream().sorted().toList(),
                    node.ipamRecords().stream().sorted().toList(), "only the live pod keeps its addresses");
            assertFalse(node.hostInterfaces().contains("jute0123456789a"), "the stray interface is removed");
            assertEquals(1, node.hostInterfaces().size());
            assertTrue(node.ping(alive, NodeFixture.NODE_ADDRESS), "the live pod still works");
            assertTrue(node.agent.log().contains("released allocation of a vanished namespace"), node.agent.log());
        }
    }
}
