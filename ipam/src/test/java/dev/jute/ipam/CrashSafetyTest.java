package dev.jute.ipam;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills a process that is allocating and releasing against a {@link FileIpamStore} with SIGKILL at
 * random moments, and checks after every kill that the store holds exactly what the process confirmed,
 * with no address recorded twice and nothing half-written.
 */
class CrashSafetyTest {
    private static final int KILLS = 20;

    @TempDir
    Path work;

    /** What the children confirmed: keys that must be in the store with these addresses, keys that must not. */
    private final Map<String, Set<InetAddress>> mustBePresent = new HashMap<>();
    private final Set<String> mustBeAbsent = new HashSet<>();

    @Test
    void storeSurvivesSigkillAtRandomMoments() throws Exception {
        Path store = work.resolve("store");
        Random random = new Random();
        long seed = random.nextLong();
        int completedOperations = 0;
        int killedMidOperation = 0;
        int leftoverTemporaryFiles = 0;
        for (int run = 0; run < KILLS; run++) {
            Path stdout = work.resolve("child-" + run + ".out");
            Path stderr = work.resolve("child-" + run + ".err");
            Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-XX:TieredStopAtLevel=1", "-Xshare:auto",
                    "-cp", System.getProperty("java.class.path"),
                    CrashTestChild.class.getName(), store.toString(), "r" + run, Long.toString(seed + run))
                    .redirectOutput(stdout.toFile())
                    .redirectError(stderr.toFile())
                    .start();
            try {
                awaitReady(child, stdout, stderr);
                if (run == 0) {
                    // While the child owns the store, nobody else may open it.
                    IpamStoreLockedException e = assertThrows(IpamStoreLockedException.class,
                            () -> FileIpamStore.open(store));
                    assertTrue(e.getMessage().contains("pid " + child.pid()), e.getMessage());
                }
                Thread.sleep(random.nextInt(20, 400));
                assertTrue(child.isAlive(), "child died by itself: " + Files.readString(stderr));
            } finally {
                child.destroyForcibly();
                assertTrue(child.waitFor(30, TimeUnit.SECONDS), "child did not die");
            }
            assertEquals(137, child.exitValue(), "killed by SIGKILL");

            Outcome outcome = applyReport(completeLines(stdout));
            completedOperations += outcome.completed;
            killedMidOperation += outcome.inFlight.isEmpty() ? 0 : 1;
            leftoverTemporaryFiles += countTemporaryFiles(store);
            verifyStore(store, outcome.inFlight, run);
        }
        System.out.printf("crash test: %d kills, %d completed operations, %d kills in the middle of an operation, "
                + "%d leftover temporary files cleaned%n", KILLS, completedOperations, killedMidOperation,
                leftoverTemporaryFiles);
        assertTrue(completedOperations >= KILLS, "the children must make progress for the test to mean anything: "
                + completedOperations + " operations");
    }

    private static void awaitReady(Process child, Path stdout, Path stderr) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.readString(stdout).startsWith("READY\n")) {
            if (!child.isAlive()) {
                fail("child exited with " + child.exitValue() + " before READY: " + Files.readString(stderr));
            }
            if (System.nanoTime() > deadline) {
                fail("child not ready after 60 s");
            }
            Thread.sleep(10);
        }
    }

    /** The lines the child finished writing; a line cut by the kill is dropped. */
    private static List<String> completeLines(Path stdout) throws IOException {
        String text = Files.readString(stdout, StandardCharsets.UTF_8);
        int end = text.lastIndexOf('\n');
        return end < 0 ? List.of() : List.of(text.substring(0, end).split("\n"));
    }

    private record Outcome(int completed, Set<String> inFlight) {
    }

    private Outcome applyReport(List<String> lines) {
        int completed = 0;
        Set<String> inFlight = new HashSet<>();
        for (String line : lines) {
            String[] words = line.split(" ");
            switch (words[0]) {
                case "READY" -> {
                }
                case "ALLOCATING", "RELEASING" -> inFlight.add(words[1]);
                case "ALLOCATED" -> {
                    inFlight.remove(words[1]);
                    Set<InetAddress> addresses = Stream.of(words).skip(2).map(IpAddresses::parse)
                            .collect(Collectors.toSet());
                    assertEquals(2, addresses.size(), line);
                    mustBePresent.put(words[1], addresses);
                    completed++;
                }
                case "RELEASED" -> {
                    inFlight.remove(words[1]);
                    mustBePresent.remove(words[1]);
                    mustBeAbsent.add(words[1]);
                    completed++;
                }
                default -> fail("unexpected child output: " + line);
            }
        }
        assertTrue(inFlight.size() <= 1, "the child does one operation at a time: " + inFlight);
        return new Outcome(completed, inFlight);
    }

    private static int countTemporaryFiles(Path store) throws IOException {
        try (Stream<Path> files = Files.list(store)) {
            return (int) files.filter(f -> f.getFileName().toString().startsWith(FileIpamStore.TEMP_PREFIX)).count();
        }
    }

    private void verifyStore(Path store, Set<String> inFlight, int run) throws IOException {
        try (Ipam ipam = Ipam.open(CrashTestChild.POOLS, List.of(), FileIpamStore.open(store))) {
            assertEquals(0, countTemporaryFiles(store), "temporary files are removed on open");
            assertEquals(List.of(), ipam.unreadableRecords(), "after kill " + run);
            assertEquals(List.of(), ipam.orphanedAllocations());
            List<Allocation> allocations = ipam.allocations();

            Set<InetAddress> addresses = new HashSet<>();
            for (Allocation allocation : allocations) {
                assertTrue(addresses.add(allocation.address()), "recorded twice: " + allocation.address());
            }
            Map<String, List<Allocation>> byContainer = allocations.stream()
                    .collect(Collectors.groupingBy(a -> a.key().containerId()));
            for (List<Allocation> ofContainer : byContainer.values()) {
                assertTrue(ofContainer.stream().map(Allocation::family).distinct().count() == ofContainer.size(),
                        "at most one address per family per key: " + ofContainer);
            }
            for (Map.Entry<String, Set<InetAddress>> expected : mustBePresent.entrySet()) {
                Set<InetAddress> found = byContainer.getOrDefault(expected.getKey(), List.of()).stream()
                        .map(Allocation::address).collect(Collectors.toSet());
                if (inFlight.contains(expected.getKey())) {
                    // Killed while releasing it: any part of it may be gone, but nothing else may appear.
                    assertTrue(expected.getValue().containsAll(found), "half-released " + expected.getKey());
                } else {
                    assertEquals(expected.getValue(), found,
                            "confirmed allocation of " + expected.getKey() + " after kill " + run);
                }
            }
            for (String released : mustBeAbsent) {
                assertFalse(byContainer.containsKey(released), "confirmed release of " + released + " after kill " + run);
            }
            for (String container : byContainer.keySet()) {
                assertTrue(mustBePresent.containsKey(container) || inFlight.contains(container),
                        "record for " + container + " that no child allocated");
            }
            // Whatever the kill left of the operation in flight is now the truth the next child starts from.
            for (String container : inFlight) {
                List<Allocation> found = byContainer.get(container);
                if (found == null) {
                    mustBePresent.remove(container);
                    mustBeAbsent.add(container);
                } else {
                    mustBePresent.put(container, found.stream().map(Allocation::address).collect(Collectors.toSet()));
                }
            }
            assertEquals(new ArrayList<>(mustBePresent.keySet()).size(), byContainer.size());
        }
    }
}
