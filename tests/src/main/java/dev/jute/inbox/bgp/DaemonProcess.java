package dev.jute.inbox.bgp;

import dev.jute.inbox.Netns;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** A foreground daemon process in a namespace, its output appended to a log file. */
final class DaemonProcess {

    private final Process process;
    private final Path log;

    private DaemonProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    static DaemonProcess start(Netns netns, Path log, String... command) {
        try {
            Process process = new ProcessBuilder(netns.prefix(command)).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
            return new DaemonProcess(process, log);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    boolean alive() {
        return process.isAlive();
    }

    /** SIGKILL, and wait until it is gone (`ip netns exec` exec'd into the daemon: same pid). */
    void kill() {
        process.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        await();
    }

    /** SIGTERM, then SIGKILL if it lingers. */
    void stop() {
        process.destroy();
        try {
            if (!process.waitFor(Duration.ofSeconds(5))) {
                kill();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void await() {
        try {
            process.waitFor(Duration.ofSeconds(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static String tail(Path file, int chars) {
        try {
            String text = Files.readString(file);
            return text.substring(Math.max(0, text.length() - chars));
        } catch (IOException e) {
            return "(no " + file.getFileName() + ")";
        }
    }

    static void write(Path file, String text) {
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String lines(List<String> lines) {
        return lines.isEmpty() ? "" : String.join("\n", lines) + "\n";
    }
}
