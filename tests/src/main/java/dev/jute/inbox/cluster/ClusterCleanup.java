package dev.jute.inbox.cluster;

import dev.jute.inbox.Netns;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Removes an in-box cluster whatever state it is in: stops its harness process if one still runs (named
 * by the state file), kills whatever runs in its namespaces (the agents), deletes every namespace with the
 * cluster's prefix and its state folder. Safe to run on a cluster that does not exist.
 */
public final class ClusterCleanup {

    private ClusterCleanup() {
    }

    /** Stops the harness of {@code names} (if it runs and is not us) and removes everything. */
    public static void down(ClusterNames names) {
        ClusterStateFile.read(names).ifPresent(state -> {
            if (state.pid() != ProcessHandle.current().pid()) {
                ProcessHandle.of(state.pid()).filter(ClusterCleanup::isHarness).ifPresent(ClusterCleanup::terminate);
            }
        });
        remove(names);
        try {
            Files.deleteIfExists(ClusterNames.STATE_ROOT.resolve(names.cluster() + ".log"));
        } catch (IOException e) {
            // A log that cannot be removed is harmless.
        }
    }

    /** Removes namespaces and state; the harness process is not touched. */
    static void remove(ClusterNames names) {
        Netns.deleteAll(names.prefix());
        // The agents are gone with their namespaces: the pinned programs and maps can go too.
        if (dev.jute.dataplane.bpf.BpfFilesystem.isBpfFilesystem(names.bpfDir())) {
            dev.jute.dataplane.bpf.BpfFilesystem.unmount(names.bpfDir());
        }
        if (NodeCgroups.remove(names)) {
            InboxCluster.deleteRecursively(names.stateDir());
        }
    }

    private static boolean isHarness(ProcessHandle process) {
        try {
            String cmdline = Files.readString(Path.of("/proc", Long.toString(process.pid()), "cmdline"));
            return cmdline.contains("jute-tests") || cmdline.contains("dev.jute.inbox");
        } catch (IOException e) {
            return false;
        }
    }

    /** SIGTERM lets the harness tear down in order; SIGKILL after a grace period, the prefix scan does the rest. */
    private static void terminate(ProcessHandle process) {
        process.destroy();
        try {
            process.onExit().get(Duration.ofSeconds(60).toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
        } catch (Exception e) {
            process.destroyForcibly();
        }
    }
}
