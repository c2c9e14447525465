package dev.jute.tests;

import dev.jute.inbox.CniPlugin;
import dev.jute.inbox.Command;
import dev.jute.inbox.Netns;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * SIGKILL of the agent in the middle of a stream of ADDs: after a restart no address has been given
 * twice, the ADDs that failed are retried successfully, and after a GC with the runtime's valid
 * attachments nothing leaks — no allocation, no host interface.
 */
class AgentCrashTest {

    private static final int RUNTIMES = 4;
    private static final int PODS_PER_RUNTIME = 12;

    @Test
    void killDuringAddsLosesNothingAndGivesNothingTwice() throws Exception {
        NodeFixture.assumeRootAndIp();
        try (NodeFixture node = new NodeFixture("10.244.11.0/24")) {
            List<Netns> pods = new ArrayList<>();
            for (int i = 0; i < RUNTIMES * PODS_PER_RUNTIME; i++) {
                pods.add(node.newPod("crash" + i));
            }
            Map<String, String> succeeded = new ConcurrentHashMap<>(); // containerId -> IPv4
            Set<String> failed = ConcurrentHashMap.newKeySet();
            AtomicBoolean killed = new AtomicBoolean();
            try (ExecutorService runtimes = Executors.newFixedThreadPool(RUNTIMES)) {
                List<Future<?>> streams = new ArrayList<>();
                for (int r = 0; r < RUNTIMES; r++) {
                    int runtime = r;
                    streams.add(runtimes.submit(() -> {
                        for (int p = 0; p < PODS_PER_RUNTIME; p++) {
                            int index = runtime * PODS_PER_RUNTIME + p;
                            String id = "crash-" + index;
                            Command.Result add = node.add(id, pods.get(index), "1.1.0");
                            if (add.ok()) {
                                succeeded.put(id, NodeFixture.ipv4(add));
                            } else {
                                failed.add(id);
                            }
                        }
                        return null;
                    }));
                }
                // Kill once a third of the ADDs went through: the others are in flight or still to come.
                while (succeeded.size() < RUNTIMES * PODS_PER_RUNTIME / 3) {
                    Thread.sleep(5);
                }
                node.agent.kill();
                killed.set(true);
                for (Future<?> stream : streams) {
                    stream.get();
                }
            }
            assertTrue(killed.get());
            assertFalse(failed.isEmpty(), "some ADDs met the dead agent (code 11) — else the kill came too late");
            node.startAgent();

            // The runtime retries what failed (a runtime would DEL first only when it gives up).
            for (String id : failed) {
                int index = Integer.parseInt(id.substring("crash-".length()));
                Command.Result retry = node.add(id, pods.get(index), "1.1.0");
                assertEquals(0, retry.exitCode(), retry.stdout() + retry.stderr());
                succeeded.put(id, NodeFixture.ipv4(retry));
            }
            assertEquals(RUNTIMES * PODS_PER_RUNTIME, succeeded.size());
            Map<String, String> owners = new HashMap<>();
            for (var entry : succeeded.entrySet()) {
                String previous = owners.put(entry.getValue(), entry.getKey());
                assertEquals(null, previous, entry.getValue() + " given to " + previous + " and " + entry.getKey());
            }
            // Every pod that was told "success" works.
            for (int i = 0; i < pods.size(); i += 5) {
                assertTrue(node.ping(pods.get(i), NodeFixture.NODE_ADDRESS), "pod " + i);
            }

            // The runtime forgets half of its pods; GC with the other half as valid attachments.
            List<String> valid = new ArrayList<>();
            for (int i = 0; i < pods.size(); i += 2) {
                valid.add("crash-" + i);
            }
            StringBuilder attachments = new StringBuilder();
            for (String id : valid) {
                attachments.append(attachments.isEmpty() ? "" : ",")
                        .append("{\"containerID\":\"").append(id).append("\",\"ifname\":\"eth0\"}");
            }
            String gcConfig = "{\"cniVersion\":\"1.1.0\",\"name\":\"jute-test\",\"type\":\"jute-cni\",\"agentSocket\":\""
                    + node.socket() + "\",\"cni.dev/valid-attachments\":[" + attachments + "]}";
            Command.Result gc = node.cni().invoke(CniPlugin.Invocation.of("GC"), gcConfig);
            assertEquals(0, gc.exitCode(), gc.stdout() + gc.stderr());

            Set<String> expectedIps = new HashSet<>();
            valid.forEach(id -> expectedIps.add(succeeded.get(id)));
            assertEquals(expectedIps, new HashSet<>(node.ipamRecords()), "exactly the valid attachments keep addresses");
            assertEquals(valid.size(), node.hostInterfaces().size(), "no interface leaks");
        }
    }
}
