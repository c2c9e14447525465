package dev.jute.agent;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The node agent's configuration, from its command line.
 *
 * @param nodeName    this node's name (defaults to the host name)
 * @param podCidrs    the node's pod CIDRs, at most one per address family (dual stack)
 * @param socket      the unix socket jute-cni connects to; only root may open it
 * @param stateDir    where the agent keeps its crash-safe state (IPAM records)
 * @param mtu         MTU of pod interfaces unless the network configuration sets one
 * @param cniWorkers  how many CNI requests are served at once
 * @param debug       verbose logging
 */
public record AgentConfig(String nodeName, List<String> podCidrs, Path socket, Path stateDir, int mtu,
                          int cniWorkers, boolean debug) {

    public static final Path DEFAULT_SOCKET = Path.of("/run/jute/cni.sock");
    public static final Path DEFAULT_STATE_DIR = Path.of("/var/lib/jute");

    public static final String USAGE = """
            usage: jute agent --pod-cidr CIDR [--pod-cidr CIDR6] [options]
              --node-name NAME     this node's name (default: the host name)
              --pod-cidr CIDR      the node's pod CIDR; repeat once for the other family (dual stack)
              --socket PATH        CNI socket (default /run/jute/cni.sock)
              --state-dir DIR      crash-safe state (default /var/lib/jute)
              --mtu N              pod interface MTU (default 1500; a network config's "mtu" wins)
              --cni-workers N      CNI requests served at once (default 16)
              --debug              verbose logs
            """;

    public static AgentConfig parse(List<String> args) {
        String nodeName = null;
        List<String> cidrs = new ArrayList<>();
        Path socket = DEFAULT_SOCKET;
        Path stateDir = DEFAULT_STATE_DIR;
        int mtu = 1500;
        int workers = 16;
        boolean debug = false;
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            switch (arg) {
                case "--node-name" -> nodeName = value(args, ++i, arg);
                case "--pod-cidr" -> cidrs.add(value(args, ++i, arg));
                case "--socket" -> socket = Path.of(value(args, ++i, arg));
                case "--state-dir" -> stateDir = Path.of(value(args, ++i, arg));
                case "--mtu" -> mtu = integer(value(args, ++i, arg), arg, 68, 65535);
                case "--cni-workers" -> workers = integer(value(args, ++i, arg), arg, 1, 1024);
                case "--debug" -> debug = true;
                default -> throw new IllegalArgumentException("unknown option " + arg + "\n" + USAGE);
            }
        }
        if (cidrs.isEmpty()) {
            throw new IllegalArgumentException("at least one --pod-cidr is required\n" + USAGE);
        }
        if (nodeName == null) {
            nodeName = hostName();
        }
        return new AgentConfig(nodeName, List.copyOf(cidrs), socket, stateDir, mtu, workers, debug);
    }

    private static String value(List<String> args, int index, String option) {
        if (index >= args.size()) {
            throw new IllegalArgumentException(option + " needs a value\n" + USAGE);
        }
        return args.get(index);
    }

    private static int integer(String value, String option, int min, int max) {
        try {
            int n = Integer.parseInt(value);
            if (n < min || n > max) {
                throw new IllegalArgumentException(option + " must be between " + min + " and " + max + ", not " + n);
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " must be a number, not '" + value + "'");
        }
    }

    private static String hostName() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.net.UnknownHostException e) {
            return "localhost";
        }
    }
}
