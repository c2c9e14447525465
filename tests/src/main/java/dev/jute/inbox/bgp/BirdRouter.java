package dev.jute.inbox.bgp;

import dev.jute.inbox.Command;
import dev.jute.inbox.Netns;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * BIRD 2 as the router in front of a cluster: one eBGP session per node (protocol named after the
 * node), every route learned, nothing announced, and the best routes exported to the kernel table of
 * its own namespace, so traffic from there follows what BGP taught it.
 */
public final class BirdRouter implements AutoCloseable {

    private static final Pattern NEXT_HOP = Pattern.compile("via (\\S+) on ");

    private final Netns netns;
    private final Path work;
    private final String address;
    private final long as;
    /** Node name → its address; the node's agent runs in {@code nodeAs}. */
    private final Map<String, String> nodes;
    private final long nodeAs;
    private DaemonProcess process;

    public BirdRouter(Netns netns, Path work, String address, long as, Map<String, String> nodes, long nodeAs) {
        this.netns = netns;
        this.work = work;
        this.address = address;
        this.as = as;
        this.nodes = new LinkedHashMap<>(nodes);
        this.nodeAs = nodeAs;
    }

    /** Starts BIRD (again, after {@link #stop()}: a fresh process with empty tables). */
    public BirdRouter start() {
        StringBuilder config = new StringBuilder("""
                router id %s;
                log "%s" all;
                protocol device { scan time 2; }
                protocol kernel {
                  ipv4 { import none; export where source = RTS_BGP; };
                  learn off;
                }
                """.formatted(address, work.resolve("bird.log")));
        nodes.forEach((name, nodeAddress) -> config.append("""
                protocol bgp %s {
                  local %s as %d;
                  neighbor %s as %d;
                  connect delay time 1;
                  connect retry time 2;
                  error wait time 1, 5;
                  direct;
                  ipv4 { import all; export none; };
                }
                """.formatted(name, address, as, nodeAddress, nodeAs)));
        DaemonProcess.write(work.resolve("bird.conf"), config.toString());
        process = DaemonProcess.start(netns, work.resolve("bird.out"), "bird", "-f", "-c", work.resolve("bird.conf").toString(),
                "-s", control().toString(), "-P", work.resolve("bird.pid").toString());
        return this;
    }

    private Path control() {
        return work.resolve("bird.ctl");
    }

    private Command.Result birdc(String... args) {
        List<String> command = new ArrayList<>(List.of("birdc", "-s", control().toString()));
        command.addAll(List.of(args));
        return Command.run(command);
    }

    /** True when BIRD's session with every node is up. */
    public boolean allEstablished() {
        String protocols = birdc("show", "protocols").stdout();
        return nodes.keySet().stream().allMatch(node -> protocols.lines()
                .anyMatch(l -> l.startsWith(node + " ") && l.contains("Established")));
    }

    /** The next hops of every path BIRD has for exactly {@code prefix} (one per node that announces it); empty if none. */
    public Set<String> nextHops(String prefix) {
        Set<String> hops = new TreeSet<>();
        Matcher m = NEXT_HOP.matcher(birdc("show", "route", prefix).stdout());
        while (m.find()) {
            hops.add(m.group(1));
        }
        return hops;
    }

    /** BIRD's routing table as {@code birdc show route} prints it, without birdc's greeting line. */
    public String routeTable() {
        return birdc("show", "route").stdout().lines().filter(l -> !l.matches("BIRD .* ready\\."))
                .map(l -> l + "\n").reduce("", String::concat);
    }

    /** The route to {@code prefix} BIRD put in its namespace's kernel table, or "" when there is none. */
    public String kernelRoute(String prefix) {
        return netns.exec("ip", "route", "show", prefix, "proto", "bird").stdout().strip();
    }

    public String diagnostics() {
        return "BIRD protocols:\n" + birdc("show", "protocols").stdout() + "BIRD routes:\n" + birdc("show", "route").stdout()
               + "BIRD log:\n" + DaemonProcess.tail(work.resolve("bird.log"), 3000) + DaemonProcess.tail(work.resolve("bird.out"), 1000);
    }

    /** SIGTERM: BIRD withdraws its kernel routes and ends its sessions. */
    public void stop() {
        if (process != null) {
            process.stop();
            process = null;
        }
    }

    @Override
    public void close() {
        stop();
    }
}
