package dev.jute.dataplane;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Test-only helper for root tests: creates and removes named network namespaces with {@code ip}
 * (tests may fork commands; production code never does) and runs commands inside them. Every
 * namespace carries the {@code jutedp-} prefix plus a random run id, so leftovers of a crashed run
 * are recognisable and removed by the next run.
 */
final class RootNamespaces implements AutoCloseable {

    static final String PREFIX = "jutedp-";

    private final String runId = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt()).substring(0, 6);
    private final List<String> created = new ArrayList<>();

    /** Skips the calling test (with the reason) unless we are root and iproute2 is installed. */
    static void assumeRootAndIp() {
        Assumptions.assumeTrue(isRoot(), "needs root (creates network namespaces and veths): skipped");
        Assumptions.assumeTrue(onPath("ip"), "needs iproute2's `ip` command: skipped");
    }

    static boolean isRoot() {
        try {
            return Files.readAllLines(Path.of("/proc/self/status")).stream()
                    .anyMatch(line -> line.matches("Uid:\\s+0\\s.*"));
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

    /** Removes namespaces left by earlier (crashed) runs of this module's tests. */
    static void removeLeftovers() {
        for (String line : run("ip", "netns", "list").split("\n")) {
            String name = line.split(" ")[0];
            if (name.startsWith(PREFIX)) {
                tryRun("ip", "netns", "delete", name);
            }
        }
    }

    /** Creates {@code jutedp-<run>-<suffix>} and returns its name. */
    String create(String suffix) {
        String name = PREFIX + runId + "-" + suffix;
        run("ip", "netns", "add", name);
        created.add(name);
        run("ip", "-n", name, "link", "set", "lo", "up");
        return name;
    }

    static Path path(String namespace) {
        return Path.of("/var/run/netns", namespace);
    }

    /** Runs a command; its stdout, or an AssertionError with stderr when it fails. */
    static String run(String... command) {
        Result result = execute(command);
        if (result.exitCode != 0) {
            throw new AssertionError(String.join(" ", command) + " failed (" + result.exitCode + "): "
                                     + result.stderr + result.stdout);
        }
        return result.stdout;
    }

    static boolean tryRun(String... command) {
        return execute(command).exitCode == 0;
    }

    record Result(int exitCode, String stdout, String stderr) {
    }

    static Result execute(String... command) {
        try {
            Process process = new ProcessBuilder(command).start();
            process.getOutputStream().close();
            // Commands here print little; reading after exit cannot dead-lock on a full pipe of that size.
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError(String.join(" ", command) + " timed out");
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
        for (String name : created.reversed()) {
            tryRun("ip", "netns", "delete", name);
        }
        created.clear();
    }
}
