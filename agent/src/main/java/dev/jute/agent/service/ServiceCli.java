package dev.jute.agent.service;

import dev.jute.dataplane.bpf.ServiceBackend;
import dev.jute.dataplane.bpf.ServiceEntry;
import dev.jute.dataplane.bpf.ServiceFrontend;
import dev.jute.dataplane.bpf.ServiceMaps;
import dev.jute.dataplane.bpf.SocketLoadBalancer;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * {@code jute service list}: the Service frontends and backends as the kernel holds them, read from
 * the pinned maps directly (no agent needed: what the programs use is exactly what is shown).
 */
public final class ServiceCli {

    public static final String USAGE = """
            usage: jute service list [--bpf-pin-dir DIR | --node NAME]
              list   every frontend (address:port/protocol and scope: internal = pods, external = the
                     uplink), its service id, flags and backends (node-local ones marked; a backend
                     in a slot but not live would have its connections reset: marked NOT LIVE)
              --bpf-pin-dir DIR   the agent's pin directory (default /sys/fs/bpf/jute/<node>)
              --node NAME         the node name in the default pin directory (default: the host name)
            """;

    private ServiceCli() {
    }

    /** Runs the command; returns the exit code (0 ok, 1 the maps cannot be read, 2 bad usage). */
    public static int run(List<String> args, PrintStream out, PrintStream err) {
        if (args.isEmpty() || args.contains("--help") || args.contains("-h")) {
            (args.isEmpty() ? err : out).print(USAGE);
            return args.isEmpty() ? 2 : 0;
        }
        if (!args.getFirst().equals("list")) {
            err.print("jute service: unknown command " + args.getFirst() + "\n" + USAGE);
            return 2;
        }
        Path pins = null;
        String node = System.getenv().getOrDefault("NODE_NAME", hostName());
        for (int i = 1; i < args.size(); i++) {
            String arg = args.get(i);
            if (arg.equals("--bpf-pin-dir") && i + 1 < args.size()) {
                pins = Path.of(args.get(++i));
            } else if (arg.equals("--node") && i + 1 < args.size()) {
                node = args.get(++i);
            } else {
                err.print("jute service: unknown option " + arg + "\n" + USAGE);
                return 2;
            }
        }
        if (pins == null) {
            pins = ServiceAgent.NODE_BPF_FILESYSTEM.resolve("jute").resolve(node);
        }
        if (!Files.exists(pins.resolve(ServiceMaps.SERVICES))) {
            err.println("jute service: no Service maps are pinned under " + pins + " (is the agent running with Services on?)");
            return 1;
        }
        try (ServiceMaps maps = ServiceMaps.openPinned(pins)) {
            out.print(format(maps.services(), maps::isLive));
            out.println(socketLbLine(SocketLoadBalancer.attachment(pins), maps));
            return 0;
        } catch (RuntimeException e) {
            err.println("jute service: cannot read the maps under " + pins + ": " + e.getMessage());
            return 1;
        }
    }

    /** Whether the programs treat a backend as live for a service id (the live_backends map). */
    interface Liveness {
        boolean isLive(int serviceId, ServiceBackend backend);
    }

    static String format(List<ServiceEntry> entries, Liveness liveness) {
        List<ServiceEntry> sorted = new ArrayList<>(entries);
        sorted.sort(Comparator.comparing((ServiceEntry e) -> e.frontend().key().toString()));
        StringBuilder text = new StringBuilder();
        text.append(String.format(Locale.ROOT, "%-44s %-6s %-26s %s%n", "FRONTEND", "ID", "FLAGS", "BACKENDS"));
        for (ServiceEntry entry : sorted) {
            ServiceFrontend f = entry.frontend();
            String backends = entry.backends().isEmpty() ? "(none: rejected)"
                    : entry.backends().stream().map(b -> liveness.isLive(f.serviceId(), b) ? b.toString() : b + " NOT LIVE")
                            .collect(Collectors.joining(", "));
            text.append(String.format(Locale.ROOT, "%-44s %-6d %-26s %s%n", f.key(), f.serviceId(), flags(f), backends));
        }
        text.append(sorted.size()).append(" frontends\n");
        return text.toString();
    }

    /** Whether host-network processes reach ClusterIPs: the socket-LB links pinned beside the maps. */
    static String socketLbLine(Optional<SocketLoadBalancer.Attachment> attachment, ServiceMaps maps) {
        if (attachment.isEmpty()) {
            return "socket-LB: not attached (host-network processes do not reach ClusterIPs)";
        }
        SocketLoadBalancer.Attachment a = attachment.get();
        if (a.cgroupId() == 0) {
            return "socket-LB: " + a.hooks() + " hooks pinned, but their cgroup is gone (restart the agent)";
        }
        return String.format(Locale.ROOT, "socket-LB: %d/%d hooks on cgroup id %d, netns cookie %d, %d socket translations remembered",
                a.hooks(), SocketLoadBalancer.Hook.values().length, a.cgroupId(), maps.socketLbNetnsCookie(),
                maps.socketTranslationCount());
    }

    private static String flags(ServiceFrontend f) {
        List<String> flags = new ArrayList<>();
        if (f.externalTrafficLocal()) {
            flags.add("etp=Local");
        }
        if (f.internalTrafficLocal()) {
            flags.add("itp=Local");
        }
        if (f.hasAffinity()) {
            flags.add("affinity=" + f.affinityTimeoutSeconds() + "s");
        }
        return flags.isEmpty() ? "-" : String.join(",", flags);
    }

    private static String hostName() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.net.UnknownHostException e) {
            return "localhost";
        }
    }
}
