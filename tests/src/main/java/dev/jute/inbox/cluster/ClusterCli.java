package dev.jute.inbox.cluster;

import dev.jute.inbox.JuteArtifacts;

import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;

/**
 * {@code jute cluster up|down|status} and {@code jute kubectl ...}. {@code up} starts the cluster's
 * harness as a background process ({@code cluster serve}, log in the state folder) and returns once the
 * cluster is ready; {@code down} stops it and removes everything with the cluster's prefix.
 */
public final class ClusterCli {

    private static final String USAGE = """
            usage: jute cluster up [--name NAME] [--nodes N]   start an in-box cluster (default: jute, 3 nodes)
                   jute cluster down [--name NAME]             stop it and remove everything it made
                   jute cluster status [--name NAME]           is it running, its nodes and pods
                   jute kubectl [--cluster NAME] ARGS...       kubectl against the cluster
            """;

    private ClusterCli() {
    }

    public static int run(List<String> args) throws Exception {
        if (args.isEmpty()) {
            System.err.print(USAGE);
            return 2;
        }
        String name = "jute";
        int nodes = 3;
        boolean verbose = false;
        for (int i = 1; i < args.size(); i++) {
            switch (args.get(i)) {
                case "--name" -> name = value(args, ++i);
                case "--nodes" -> nodes = Integer.parseInt(value(args, ++i));
                case "--verbose", "-v" -> verbose = true;
                default -> throw new IllegalArgumentException("unknown option " + args.get(i) + "\n" + USAGE);
            }
        }
        ClusterNames names = new ClusterNames(name);
        return switch (args.getFirst()) {
            case "up" -> up(names, nodes, verbose);
            case "serve" -> serve(names, nodes, verbose);
            case "down" -> {
                ClusterCleanup.down(names);
                System.out.println("cluster " + name + " removed (no namespace with prefix " + names.prefix() + " left: "
                                   + !ClusterNetwork.anyLeft(names) + ")");
                yield 0;
            }
            case "status" -> status(names);
            default -> {
                System.err.print(USAGE);
                yield 2;
            }
        };
    }

    private static String value(List<String> args, int i) {
        if (i >= args.size()) {
            throw new IllegalArgumentException(args.get(i - 1) + " needs a value\n" + USAGE);
        }
        return args.get(i);
    }

    private static int up(ClusterNames names, int nodes, boolean verbose) throws Exception {
        if (ClusterStateFile.read(names).map(s -> ProcessHandle.of(s.pid()).isPresent()).orElse(false)) {
            System.out.println("cluster " + names.cluster() + " is already running; kubeconfig " + names.kubeconfig());
            return 0;
        }
        ClusterCleanup.remove(names);
        Files.createDirectories(ClusterNames.STATE_ROOT);
        var log = ClusterNames.STATE_ROOT.resolve(names.cluster() + ".log");
        List<String> command = new ArrayList<>(List.of(JuteArtifacts.java().toString(), "--enable-native-access=ALL-UNNAMED",
                "-XX:+UseSerialGC", "-Djute.root=" + JuteArtifacts.root(), "-cp", System.getProperty("java.class.path"),
                "dev.jute.inbox.Main", "cluster", "serve", "--name", names.cluster(), "--nodes", Integer.toString(nodes)));
        if (verbose) {
            command.add("--verbose");
        }
        long start = System.nanoTime();
        Process harness = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(log.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        long deadline = start + Duration.ofMinutes(3).toNanos();
        while (ClusterStateFile.read(names).isEmpty()) {
            if (!harness.isAlive()) {
                System.err.println("the cluster failed to start:\n" + Files.readString(log));
                return 1;
            }
            if (System.nanoTime() > deadline) {
                ClusterCleanup.down(names);
                System.err.println("the cluster did not come up within 3 minutes:\n" + Files.readString(log));
                return 1;
            }
            Thread.sleep(100);
        }
        System.out.printf(Locale.ROOT, "cluster %s is up with %d nodes in %.1f s (harness pid %d, log %s)%n", names.cluster(),
                nodes, (System.nanoTime() - start) / 1e9, harness.pid(), log);
        System.out.println("  kubeconfig: " + names.kubeconfig());
        System.out.println("  try:        ./jute kubectl get nodes   |   ./jute cluster down");
        return 0;
    }

    /** The harness process: runs the cluster until SIGTERM, then tears it down. */
    private static int serve(ClusterNames names, int nodes, boolean verbose) throws Exception {
        HarnessLog.verbose(verbose);
        InboxCluster cluster = InboxCluster.start(names.cluster(), nodes);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            cluster.close();
            stopped.countDown();
        }, "cluster-shutdown"));
        System.err.printf(Locale.ROOT, "cluster %s up in %d ms; agents %s%n", names.cluster(), cluster.startup().toMillis(),
                cluster.agentPids());
        stopped.await();
        return 0;
    }

    private static int status(ClusterNames names) throws IOException {
        var state = ClusterStateFile.read(names);
        if (state.isEmpty() || ProcessHandle.of(state.get().pid()).isEmpty()) {
            System.out.println("cluster " + names.cluster() + " is not running"
                               + (ClusterNetwork.anyLeft(names) ? " (leftover namespaces: run ./jute cluster down)" : ""));
            return 1;
        }
        System.out.println("cluster " + names.cluster() + " is running: harness pid " + state.get().pid() + ", API "
                           + state.get().apiUrl() + ", nodes " + state.get().nodes());
        System.out.println("kubeconfig " + names.kubeconfig());
        return 0;
    }

    /** {@code jute kubectl [--cluster NAME] ARGS}: kubectl with the cluster's kubeconfig, output passed through. */
    public static int kubectl(List<String> args) throws Exception {
        String name = "jute";
        List<String> rest = new ArrayList<>(args);
        if (rest.size() >= 2 && rest.getFirst().equals("--cluster")) {
            name = rest.get(1);
            rest = rest.subList(2, rest.size());
        }
        ClusterNames names = new ClusterNames(name);
        if (!Files.exists(names.kubeconfig())) {
            System.err.println("cluster " + name + " is not running: ./jute cluster up");
            return 1;
        }
        List<String> command = new ArrayList<>(List.of("kubectl", "--kubeconfig", names.kubeconfig().toString()));
        command.addAll(rest);
        return new ProcessBuilder(command).inheritIO().start().waitFor();
    }
}
