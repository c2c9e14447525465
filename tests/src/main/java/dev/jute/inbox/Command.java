package dev.jute.inbox;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs an external command for the test harness (never for the agent, which makes only native
 * calls): `ip netns`, plugins executed as a container runtime would, `ping`, daemons.
 */
public final class Command {

    /** What a finished command left behind. */
    public record Result(List<String> command, int exitCode, String stdout, String stderr, Duration elapsed) {
        public boolean ok() {
            return exitCode == 0;
        }

        /** Throws with the command's own words when it failed. */
        public Result check() {
            if (exitCode != 0) {
                throw new IllegalStateException(String.join(" ", command) + " exited " + exitCode
                        + (stderr.isBlank() ? "" : ": " + stderr.strip())
                        + (stdout.isBlank() ? "" : " (stdout: " + stdout.strip() + ")"));
            }
            return this;
        }
    }

    private Command() {
    }

    public static Result run(String... command) {
        return run(List.of(command));
    }

    public static Result run(List<String> command) {
        return run(command, null, Map.of(), Duration.ofSeconds(60));
    }

    /**
     * Runs {@code command} with the given extra environment and standard input, killing it when it
     * outlives {@code timeout} (then the exit code is -1).
     */
    public static Result run(List<String> command, String stdin, Map<String, String> environment, Duration timeout) {
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().putAll(environment);
        long start = System.nanoTime();
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + command.getFirst(), e);
        }
        CompletableFuture<String> out = drain(process.getInputStream());
        CompletableFuture<String> err = drain(process.getErrorStream());
        try (OutputStream in = process.getOutputStream()) {
            if (stdin != null) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
        } catch (IOException ignored) {
            // The command may exit without reading its input; its exit code tells what happened.
        }
        try {
            boolean finished = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (!finished) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly().waitFor();
            }
            int exit = finished ? process.exitValue() : -1;
            Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
            return new Result(List.copyOf(command), exit, out.join(), err.join(), elapsed);
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + command, e);
        }
    }

    public static boolean exists(String executable) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin").split(":")) {
            if (new java.io.File(dir, executable).canExecute()) {
                return true;
            }
        }
        return new java.io.File(executable).canExecute();
    }

    public static List<String> concat(List<String> prefix, String... rest) {
        List<String> all = new ArrayList<>(prefix);
        all.addAll(List.of(rest));
        return all;
    }

    private static CompletableFuture<String> drain(InputStream stream) {
        return CompletableFuture.supplyAsync(() -> {
            try (stream) {
                return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "";
            }
        }, Thread::startVirtualThread);
    }
}
