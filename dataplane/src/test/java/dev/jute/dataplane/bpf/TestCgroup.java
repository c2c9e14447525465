package dev.jute.dataplane.bpf;

import dev.jute.dataplane.Cgroup2;
import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A cgroup v2 directory of a test's own, directly under the hierarchy root (never the root itself: the
 * socket-LB hooks attach to it, and the host's processes must not be translated). Leftovers of an
 * earlier run with the same prefix are removed first; closing kills what still runs in it and removes it.
 */
final class TestCgroup implements AutoCloseable {

    private final Path path;

    private TestCgroup(Path path) {
        this.path = path;
    }

    /** Skips the test when there is no cgroup v2 hierarchy. */
    static TestCgroup create(String prefix) throws IOException {
        Path root = Cgroup2.mountRoot().orElse(null);
        Assumptions.assumeTrue(root != null, "needs a cgroup v2 hierarchy (socket-LB hooks attach there): skipped");
        List<Path> leftovers;
        try (var entries = Files.list(root)) {
            leftovers = entries.filter(p -> p.getFileName().toString().startsWith(prefix)).toList();
        }
        leftovers.forEach(TestCgroup::remove);
        return new TestCgroup(Files.createDirectory(root.resolve(prefix + Integer.toHexString(ThreadLocalRandom.current().nextInt()))));
    }

    Path path() {
        return path;
    }

    @Override
    public void close() {
        remove(path);
    }

    /** Kills what still runs in it (cgroup.kill, Linux 5.14+), then removes it. */
    private static void remove(Path directory) {
        try {
            Files.writeString(directory.resolve("cgroup.kill"), "1");
            for (int i = 0; i < 100 && !Files.readString(directory.resolve("cgroup.procs")).isBlank(); i++) {
                Thread.sleep(20);
            }
            Files.delete(directory);
        } catch (IOException | InterruptedException e) {
            System.err.println("cannot remove test cgroup " + directory + ": " + e);
        }
    }
}
