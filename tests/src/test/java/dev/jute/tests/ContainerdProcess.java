package dev.jute.tests;

import dev.jute.inbox.Command;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A containerd daemon started by the test with its root, state and socket in a scratch folder, and the
 * {@code ctr} client pointed at it. Both run in the test's own namespaces: {@code ip netns exec} would
 * remount /sys and hide the cgroup hierarchy runc needs. That is harmless for the root namespace's
 * network: ctr creates each container's namespace and calls jute-cni, and the Jute agent — in its node
 * namespace — puts the host end of every veth there, never in the root namespace.
 */
public final class ContainerdProcess implements AutoCloseable {

    private final Path dir;
    private final Process process;
    private final String namespace;

    private ContainerdProcess(Path dir, Process process, String namespace) {
        this.dir = dir;
        this.process = process;
        this.namespace = namespace;
    }

    public static boolean available() {
        return Command.exists("containerd") && Command.exists("ctr") && Command.exists("runc");
    }

    public static ContainerdProcess start(Path dir, String namespace) throws IOException, InterruptedException {
        Path config = dir.resolve("config.toml");
        Files.writeString(config, """
                version = 2
                root = "%1$s/root"
                state = "%1$s/state"
                disabled_plugins = ["io.containerd.grpc.v1.cri"]
                [grpc]
                  address = "%1$s/containerd.sock"
                [ttrpc]
                  address = "%1$s/containerd.sock.ttrpc"
                """.formatted(dir));
        Process process = new ProcessBuilder("containerd", "--config", config.toString())
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("containerd.log").toFile())
                .start();
        ContainerdProcess containerd = new ContainerdProcess(dir, process, namespace);
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!containerd.ctr("version").ok()) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                containerd.close();
                throw new IllegalStateException("containerd did not start:\n" + Files.readString(dir.resolve("containerd.log")));
            }
            Thread.sleep(100);
        }
        return containerd;
    }

    /** Runs {@code ctr} against this daemon. */
    public Command.Result ctr(String... args) {
        return ctr(List.of(args));
    }

    public Command.Result ctr(List<String> args) {
        List<String> command = new ArrayList<>(ctrCommand());
        command.addAll(args);
        return Command.run(command, null, Map.of(), Duration.ofSeconds(120));
    }

    /** {@code ctr} with this daemon's address and namespace, for callers that start it themselves. */
    public List<String> ctrCommand() {
        return List.of("ctr", "--address", dir.resolve("containerd.sock").toString(), "--namespace", namespace);
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(Duration.ofSeconds(10))) {
                process.destroyForcibly().waitFor();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // containerd leaves overlay mounts behind when a task was not cleaned up.
        for (String line : Command.run("findmnt", "-rn", "-o", "TARGET").stdout().lines().toList()) {
            if (line.startsWith(dir.toString())) {
                Command.run("umount", "-l", line);
            }
        }
        removeNamespaceCgroups();
    }

    /**
     * runc makes a parent cgroup named after the containerd namespace in every hierarchy and never
     * removes it. Once the containers are gone they are empty; rmdir removes only empty cgroups.
     */
    private void removeNamespaceCgroups() {
        Path root = Path.of("/sys/fs/cgroup");
        try (var hierarchies = Files.list(root)) {
            for (Path hierarchy : hierarchies.toList()) {
                Path parent = hierarchy.getFileName().toString().equals(namespace) ? hierarchy : hierarchy.resolve(namespace);
                if (Files.isDirectory(parent)) {
                    Command.run("rmdir", parent.toString());
                }
            }
        } catch (IOException e) {
            // No cgroup filesystem to tidy.
        }
    }
}
