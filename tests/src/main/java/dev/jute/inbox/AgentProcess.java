package dev.jute.inbox;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A real {@code jute agent} process running inside a node's network namespace, as the DaemonSet
 * would run it on a real node. Its log goes to {@code <stateDir>/agent.log}.
 */
public final class AgentProcess implements AutoCloseable {

    /** What the agent is told on its command line. */
    public record Options(String nodeName, List<String> podCidrs, Path socket, Path stateDir, int mtu) {
        List<String> arguments() {
            List<String> args = new ArrayList<>(List.of("agent", "--node-name", nodeName,
                    "--socket", socket.toString(), "--state-dir", stateDir.toString(), "--mtu", Integer.toString(mtu)));
            for (String cidr : podCidrs) {
                args.add("--pod-cidr");
                args.add(cidr);
            }
            return args;
        }
    }

    private final Options options;
    private final Process process;
    private final Path log;

    private final long logStart;

    private AgentProcess(Options options, Process process, Path log, long logStart) {
        this.options = options;
        this.process = process;
        this.log = log;
        this.logStart = logStart;
    }

    public static AgentProcess start(Netns node, Options options) {
        return start(node, options, List.of());
    }

    /** Like {@link #start(Netns, Options)}, with more agent options (e.g. {@code --routing bgp ...}). */
    public static AgentProcess start(Netns node, Options options, List<String> extraArguments) {
        try {
            Files.createDirectories(options.stateDir());
            Path log = options.stateDir().resolve("agent.log");
            // A restarted agent appends to the same log: only what this process writes counts.
            long logStart = Files.exists(log) ? Files.size(log) : 0;
            List<String> command = new ArrayList<>(node.prefix(JuteArtifacts.java().toString(),
                    "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC", "-Xmx256m",
                    "-jar", JuteArtifacts.agentJar().toString()));
            command.addAll(options.arguments());
            command.addAll(extraArguments);
            Process process = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .start();
            AgentProcess agent = new AgentProcess(options, process, log, logStart);
            agent.awaitSocket(Duration.ofSeconds(30));
            return agent;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Options options() {
        return options;
    }

    public long pid() {
        return process.pid();
    }

    public boolean alive() {
        return process.isAlive();
    }

    /** What this agent process logged (not its predecessors in the same state directory). */
    public String log() {
        try {
            String all = Files.readString(log);
            return all.length() >= logStart ? all.substring((int) logStart) : all;
        } catch (IOException e) {
            return "";
        }
    }

    /** SIGKILL to the agent itself (not the `ip netns exec` wrapper, which exec'd into it). */
    public void kill() {
        process.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        waitForExit();
    }

    /** SIGTERM: the agent's graceful shutdown. */
    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroy();
            waitForExit();
        }
    }

    private void waitForExit() {
        try {
            if (!process.waitFor(Duration.ofSeconds(10))) {
                process.destroyForcibly().waitFor();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void awaitSocket(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("agent exited with " + process.exitValue() + ":\n" + log());
            }
            if (Files.exists(options.socket()) && log().contains("serving CNI requests")) {
                return;
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        close();
        throw new IllegalStateException("agent did not come up within " + timeout + ":\n" + log());
    }
}
