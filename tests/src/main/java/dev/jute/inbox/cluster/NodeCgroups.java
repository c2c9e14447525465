package dev.jute.inbox.cluster;

import dev.jute.dataplane.Cgroup2;
import dev.jute.inbox.Command;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The nodes' cgroups of an in-box cluster, where each agent attaches its socket-LB hooks: a real node's
 * agent attaches to the root of the hierarchy, but the in-box nodes share this host's, so each gets a
 * cgroup of its own ({@code jute-inbox-<cluster>-<node>}, directly under the root) and its host-network
 * clients are started inside it. The host's root cgroup is never attached to.
 *
 * <p>The hierarchy is mounted once more under the cluster's state folder ({@link ClusterNames#cgroupMount()}):
 * the agents run under {@code ip netns exec}, which gives them a {@code /sys} without cgroup mounts.
 */
final class NodeCgroups {

    private NodeCgroups() {
    }

    /** Mounts the cgroup v2 hierarchy for the cluster; the reason it cannot, if it cannot. */
    static Optional<String> mount(ClusterNames names) {
        if (Cgroup2.mountRoot().isEmpty()) {
            return Optional.of("this host has no cgroup v2 hierarchy");
        }
        try {
            Files.createDirectories(names.cgroupMount());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Command.Result mounted = Command.run("mount", "-t", "cgroup2", "cgroup2", names.cgroupMount().toString());
        return mounted.ok() ? Optional.empty() : Optional.of("mount -t cgroup2: " + mounted.stderr().strip());
    }

    /** Creates (or keeps) a node's cgroup; the directory to pass as {@code --socket-lb-cgroup}. */
    static Path create(ClusterNames names, String node) {
        Path cgroup = names.nodeCgroup(node);
        try {
            Files.createDirectories(cgroup);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create cgroup " + cgroup, e);
        }
        return cgroup;
    }

    /**
     * Removes the cluster's cgroups (killing what still runs in them) and the extra mount; leftovers of a
     * crashed run are found through this process's own cgroup v2 mount too. Whether the mount is gone,
     * so the state folder may be deleted (deleting through a live cgroup mount would remove other
     * people's empty cgroups).
     */
    static boolean remove(ClusterNames names) {
        Path mount = names.cgroupMount();
        boolean mounted = Cgroup2.isCgroup2(mount);
        Optional<Path> root = mounted ? Optional.of(mount) : Cgroup2.mountRoot();
        root.ifPresent(r -> removeChildren(r, names.cgroupPrefix()));
        if (mounted && !Command.run("umount", mount.toString()).ok()) {
            HarnessLog.warn("cluster", "cannot unmount " + mount + "; its state folder is kept");
            return false;
        }
        return !Cgroup2.isCgroup2(mount);
    }

    private static void removeChildren(Path root, String prefix) {
        List<Path> cgroups;
        try (var entries = Files.list(root)) {
            cgroups = entries.filter(p -> p.getFileName().toString().startsWith(prefix) && Files.isDirectory(p)).toList();
        } catch (IOException e) {
            HarnessLog.warn("cluster", "cannot list cgroups under " + root + ": " + e.getMessage());
            return;
        }
        for (Path cgroup : cgroups) {
            try {
                // cgroup.kill (Linux 5.14+) ends every process of the cgroup at once.
                Files.writeString(cgroup.resolve("cgroup.kill"), "1");
                for (int i = 0; i < 100 && !Files.readString(cgroup.resolve("cgroup.procs")).isBlank(); i++) {
                    Thread.sleep(20);
                }
                Files.delete(cgroup);
            } catch (IOException e) {
                HarnessLog.warn("cluster", "cannot remove cgroup " + cgroup + " (left behind): " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
