package dev.jute.inbox;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A named network namespace made by the harness with {@code ip netns}. Names carry a caller-chosen
 * prefix so that a crashed run's leftovers can be found and removed ({@link #deleteAll(String)}).
 */
public record Netns(String name) {

    private static final Path RUN_NETNS = Path.of("/var/run/netns");

    public static Netns create(String name) {
        Command.run("ip", "netns", "add", name).check();
        Netns ns = new Netns(name);
        ns.exec("ip", "link", "set", "lo", "up").check();
        return ns;
    }

    public Path path() {
        return RUN_NETNS.resolve(name);
    }

    public boolean exists() {
        return Files.exists(path());
    }

    /** Runs a command inside this namespace. */
    public Command.Result exec(String... command) {
        return Command.run(prefix(command));
    }

    public List<String> prefix(String... command) {
        List<String> all = new ArrayList<>(List.of("ip", "netns", "exec", name));
        all.addAll(List.of(command));
        return all;
    }

    /** Sets a sysctl of this namespace (never of the root namespace). */
    public void sysctl(String key, String value) {
        exec("sysctl", "-q", "-w", key + "=" + value).check();
    }

    public void delete() {
        if (exists()) {
            Command.run("ip", "netns", "pids", name).stdout().lines()
                    .forEach(pid -> Command.run("kill", "-9", pid.strip()));
            Command.run("ip", "netns", "delete", name);
        }
    }

    /** Removes every namespace whose name starts with {@code prefix}: leftovers of earlier runs. */
    public static void deleteAll(String prefix) {
        for (String line : Command.run("ip", "netns", "list").stdout().lines().toList()) {
            String name = line.split(" ")[0];
            if (name.startsWith(prefix)) {
                new Netns(name).delete();
            }
        }
    }

    public static boolean available() {
        return "root".equals(System.getProperty("user.name")) && Command.exists("ip");
    }
}
