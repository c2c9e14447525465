package dev.jute.tests.image;

import dev.jute.inbox.Command;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A containerd daemon of the test's own — root, state and socket in a scratch folder, CRI off — and
 * {@code ctr} pointed at it. It runs in the test's namespaces, never under {@code ip netns exec},
 * which would remount /sys and hide the cgroups runc needs. (The same set-up as
 * dev.jute.tests.ContainerdProcess, which is package-private there.)
 */
final class ScratchContainerd implements AutoCloseable {

    private final Path dir;
    private final Process process;
    private final String namespace;

    private ScratchContainerd(Path dir, Process process, String namespace) {
        this.dir = dir;
        this.process = process;
        this.namespace = namespace;
    }

    static boolean available() {
        return Command.exists("containerd") && Command.exists("ctr") && Command.exists("runc");
    }

    static ScratchContainerd start(Path dir, String namespace) throws IOException, InterruptedException {
        Files.writeString(dir.resolve("config.toml"), """
                version = 2
                root = "%1$s/root"
                state = "%1$s/state"
                disabled_plugins = ["io.containerd.grpc.v1.cri"]
                [grpc]
                  address = "%1$s/containerd.sock"
                [ttrpc]
                  address = "%1$s/containerd.sock.ttrpc"
                """.formatted(dir));
        Process process = new ProcessBuilder("containerd", "--config", dir.resolve("config.toml").toString())
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("containerd.log").toFile())
                .start();
        ScratchContainerd containerd = new ScratchContainerd(dir, process, namespace);
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

    /** The {@code ctr} command line for this daemon, before the subcommand. */
    List<String> ctrCommand() {
        return List.of("ctr", "--address", dir.resolve("containerd.sock").toString(), "--namespace", namespace);
    }

    Command.Result ctr(String... args) {
        return ctr(List.of(args));
    }

    Command.Result ctr(List<String> args) {
        List<String> command = new ArrayList<>(ctrCommand());
        command.addAll(args);
        return Command.run(command, null, Map.of(), Duration.ofSeconds(120));
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
    }
}
