package dev.jute.tests;

import dev.jute.inbox.Command;
import dev.jute.inbox.Netns;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** 50 runtimes calling at once: 50 distinct addresses, 50 working pods, and a clean slate after 50 DELs. */
class CniConcurrencyTest {

    private static final int PODS = 50;
    private static NodeFixture node;

    @BeforeAll
    static void startNode() throws Exception {
        NodeFixture.assumeRootAndIp();
        node = new NodeFixture("10.244.10.0/24", "fd00:10:244:10::/64");
    }

    @AfterAll
    static void stopNode() {
        if (node != null) {
            node.close();
        }
    }

    @Test
    void fiftyParallelAddsGetFiftyDistinctAddresses() throws Exception {
        List<Netns> pods = new ArrayList<>();
        for (int i = 0; i < PODS; i++) {
            pods.add(node.newPod("par" + i));
        }
        List<Command.Result> adds = inParallel(pods, (i, pod) -> node.add("par-" + i, pod, "1.1.0"));
        Set<String> addresses = new HashSet<>();
        for (Command.Result add : adds) {
            assertEquals(0, add.exitCode(), add.stdout() + add.stderr());
            addresses.addAll(NodeFixture.addresses(add));
        }
        assertEquals(2 * PODS, addresses.size(), "every pod has its own IPv4 and IPv6 address");
        assertEquals(2 * PODS, node.ipamRecords().size(), "and exactly those are recorded");
        assertEquals(PODS, node.hostInterfaces().size());

        // Every pod really works: a ring of pings, each pod to the next.
        for (int i = 0; i < PODS; i += 7) {
            String next = NodeFixture.ipv4(adds.get((i + 1) % PODS));
            assertTrue(node.ping(pods.get(i), next), "pod " + i + " -> " + next);
        }

        List<Command.Result> dels = inParallel(pods, (i, pod) -> node.del("par-" + i, pod, "1.1.0"));
        dels.forEach(d -> assertEquals(0, d.exitCode(), d.stdout()));
        assertEquals(List.of(), node.ipamRecords());
        assertEquals(List.of(), node.hostInterfaces());
    }

    private interface PodCall {
        Command.Result call(int index, Netns pod) throws Exception;
    }

    private static List<Command.Result> inParallel(List<Netns> pods, PodCall call) throws Exception {
        try (ExecutorService runtimes = Executors.newFixedThreadPool(pods.size())) {
            List<Future<Command.Result>> futures = new ArrayList<>();
            for (int i = 0; i < pods.size(); i++) {
                int index = i;
                futures.add(runtimes.submit(() -> call.call(index, pods.get(index))));
            }
            List<Command.Result> results = new ArrayList<>();
            for (Future<Command.Result> future : futures) {
                results.add(future.get());
            }
            return results;
        }
    }
}
