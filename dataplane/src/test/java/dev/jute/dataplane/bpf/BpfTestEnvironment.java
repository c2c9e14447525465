package dev.jute.dataplane.bpf;

import dev.jute.dataplane.NetNamespace;
import dev.jute.dataplane.PodLink;
import dev.jute.dataplane.PodWiringSpec;
import dev.jute.dataplane.PtpPodWiring;
import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Test-only scaffolding for the BPF tests: skips unless root with the BPF objects built, creates
 * network namespaces and a private BPF filesystem (never touching the root namespace's network
 * or /sys/fs/bpf), all named {@code jutebpf-<run>-...} and removed afterwards; leftovers of a
 * crashed run are removed by the next one.
 */
final class BpfTestEnvironment implements AutoCloseable {

    static final String PREFIX = "jutebpf-";
    private static final Path BPFFS_PARENT = Path.of("/tmp");

    private final String prefix;
    private final String runId = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt()).substring(0, 6);
    private final List<String> namespaces = new ArrayList<>();
    private Path bpffs;

    BpfTestEnvironment() {
        this(PREFIX);
    }

    /**
     * Names everything {@code <prefix><run>-...}: a class that may run while other BPF test classes
     * start (whose {@link #removeLeftovers()} removes every {@value #PREFIX} name) takes a prefix of its own.
     */
    BpfTestEnvironment(String prefix) {
        this.prefix = prefix;
    }

    /** Skips the calling test, saying why, unless it can load BPF programs here. */
    static void assumeBpf() {
        String reason = unavailableReason().orElse(null);
        Assumptions.assumeTrue(reason == null, () -> reason + ": BPF test skipped");
    }

    /**
     * Why BPF tests cannot run here, if they cannot. Classes check it in {@code @BeforeAll} to skip
     * their set-up and call {@link #assumeBpf()} per test, so every skipped test carries the reason
     * in the report (an assumption failing in {@code @BeforeAll} shows up as zero tests).
     */
    static java.util.Optional<String> unavailableReason() {
        if (!isRoot()) {
            return java.util.Optional.of("needs root (loads BPF programs, creates namespaces)");
        }
        if (!onPath("ip")) {
            return java.util.Optional.of("needs iproute2's `ip` command");
        }
        return PolicyDataplane.unavailableReason();
    }

    static boolean isRoot() {
        try {
            return Files.readAllLines(Path.of("/proc/self/status")).stream().anyMatch(l -> l.matches("Uid:\\s+0\\s.*"));
        } catch (IOException e) {
            return false;
        }
    }

    static boolean onPath(String command) {
        String path = System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/sbin:/usr/bin:/bin";
        for (String directory : path.split(":")) {
            if (!directory.isEmpty() && Files.isExecutable(Path.of(directory, command))) {
                return true;
            }
        }
        return false;
    }

    static void removeLeftovers() {
        removeLeftovers(PREFIX);
    }

    /** Removes the namespaces and BPF filesystems of crashed runs of environments with this prefix. */
    static void removeLeftovers(String prefix) {
        for (String line : run("ip", "netns", "list").split("\n")) {
            String name = line.split(" ")[0];
            if (name.startsWith(prefix)) {
                tryRun("ip", "netns", "delete", name);
            }
        }
        try (var entries = Files.list(BPFFS_PARENT)) {
            for (Path stale : entries.filter(p -> p.getFileName().toString().startsWith(prefix + "fs-")).toList()) {
                if (BpfFilesystem.isBpfFilesystem(stale)) {
                    BpfFilesystem.unmount(stale);
                }
                Files.deleteIfExists(stale);
            }
        } catch (IOException | RuntimeException e) {
            // Best effort: a leftover only costs a little memory.
        }
    }

    /** A fresh private BPF filesystem; its pins (and the maps only they hold) go with {@link #close}. */
    Path bpfFilesystem() throws IOException {
        if (bpffs == null) {
            Path directory = Files.createDirectories(BPFFS_PARENT.resolve(prefix + "fs-" + runId));
            BpfFilesystem.mount(directory);
            bpffs = directory;
        }
        return bpffs;
    }

    String createNamespace(String suffix) {
        String name = prefix + runId + "-" + suffix;
        run("ip", "netns", "add", name);
        namespaces.add(name);
        run("ip", "-n", name, "link", "set", "lo", "up");
        return name;
    }

    static Path namespacePath(String name) {
        return Path.of("/var/run/netns", name);
    }

    /**
     * Wires pod namespace {@code pod} as the agent does (ptp veth, host side in {@code node}) with the
     * given addresses, named after {@code containerId}.
     */
    static PodLink wirePod(NetNamespace node, String pod, String containerId, String... addresses) throws Exception {
        List<InetAddress> ips = new ArrayList<>();
        for (String address : addresses) {
            ips.add(InetAddress.getByName(address));
        }
        PodWiringSpec spec = new PodWiringSpec(namespacePath(pod), PtpPodWiring.hostInterfaceName(containerId, "eth0"), "eth0",
                1500, ips);
        return node.call(() -> new PtpPodWiring().wire(spec));
    }

    /** Kills the helper processes a test started (servers, clients) and waits for each. */
    static void stopAll(List<Process> processes) {
        for (Process process : processes) {
            process.destroyForcibly();
            try {
                process.waitFor(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    static NetNamespace open(String namespace) {
        return NetNamespace.open(namespacePath(namespace));
    }

    /** The interface index of {@code link} in {@code namespace}. */
    static int ifindex(String namespace, String link) {
        String out = run("ip", "-n", namespace, "-o", "link", "show", "dev", link);
        return Integer.parseInt(out.substring(0, out.indexOf(':')).strip());
    }

    static String run(String... command) {
        Result result = execute(20, command);
        if (result.exitCode != 0) {
            throw new AssertionError(String.join(" ", command) + " failed (" + result.exitCode + "): " + result.stderr
                                     + result.stdout);
        }
        return result.stdout;
    }

    static boolean tryRun(String... command) {
        return execute(20, command).exitCode == 0;
    }

    record Result(int exitCode, String stdout, String stderr) {
    }

    static Result execute(int timeoutSeconds, String... command) {
        try {
            Process process = new ProcessBuilder(command).start();
            process.getOutputStream().close();
            if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
                return new Result(-1, "", "timed out after " + timeoutSeconds + " s");
            }
            return new Result(process.exitValue(),
                    new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8),
                    new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new AssertionError("cannot run " + String.join(" ", command), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted running " + String.join(" ", command), e);
        }
    }

    @Override
    public void close() {
        for (String name : namespaces.reversed()) {
            tryRun("ip", "netns", "delete", name);
        }
        namespaces.clear();
        if (bpffs != null) {
            try {
                BpfFilesystem.unmount(bpffs);
                Files.deleteIfExists(bpffs);
            } catch (IOException | RuntimeException e) {
                System.err.println("cannot remove test BPF filesystem " + bpffs + ": " + e.getMessage());
            }
            bpffs = null;
        }
    }
}
