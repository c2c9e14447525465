package dev.jute.inbox;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Executes a CNI plugin exactly as a container runtime does: the CNI_* environment, the network
 * configuration on standard input, the result or error object on standard output.
 */
public record CniPlugin(Path executable, List<String> pluginDirs, Netns runIn) {

    /** One invocation's environment; {@code null} values are left out of the environment. */
    public record Invocation(String command, String containerId, Path netns, String ifname, String args) {
        public static Invocation add(String containerId, Path netns, String ifname) {
            return new Invocation("ADD", containerId, netns, ifname, null);
        }

        public static Invocation del(String containerId, Path netns, String ifname) {
            return new Invocation("DEL", containerId, netns, ifname, null);
        }

        public static Invocation check(String containerId, Path netns, String ifname) {
            return new Invocation("CHECK", containerId, netns, ifname, null);
        }

        public static Invocation of(String command) {
            return new Invocation(command, null, null, null, null);
        }

        public Invocation withArgs(String cniArgs) {
            return new Invocation(command, containerId, netns, ifname, cniArgs);
        }
    }

    public Command.Result invoke(Invocation invocation, String config) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("CNI_COMMAND", invocation.command());
        put(env, "CNI_CONTAINERID", invocation.containerId());
        put(env, "CNI_NETNS", invocation.netns() == null ? null : invocation.netns().toString());
        put(env, "CNI_IFNAME", invocation.ifname());
        put(env, "CNI_ARGS", invocation.args());
        env.put("CNI_PATH", String.join(":", pluginDirs));
        List<String> command = runIn == null ? List.of(executable.toString()) : runIn.prefix(executable.toString());
        return Command.run(command, config, env, Duration.ofSeconds(30));
    }

    private static void put(Map<String, String> env, String key, String value) {
        if (value != null) {
            env.put(key, value);
        }
    }
}
