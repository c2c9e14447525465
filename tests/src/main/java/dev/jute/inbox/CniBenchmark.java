package dev.jute.inbox;

import dev.jute.dataplane.NetNamespace;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Times CNI ADD and DEL, sequentially and with 20 concurrent callers, for Jute and — in the same run,
 * on the same kind of node namespace — for Debian's reference {@code ptp} + {@code host-local}
 * plugins, and prints the ratio. Plugins are executed exactly as a runtime does (environment + stdin),
 * from a thread that has entered the node's namespace, so no {@code ip netns exec} is in the timing.
 */
public final class CniBenchmark {

    private static final String PREFIX = "jutebench-";
    private static final Path REFERENCE_PLUGINS = Path.of("/usr/lib/cni");

    private final int sequentialRounds;
    private final int concurrency;
    private final int concurrentRounds;

    public CniBenchmark(int sequentialRounds, int concurrency, int concurrentRounds) {
        this.sequentialRounds = sequentialRounds;
        this.concurrency = concurrency;
        this.concurrentRounds = concurrentRounds;
    }

    /** One plugin under test: how to run it and the configuration it gets on stdin. */
    private record Subject(String name, CniPlugin plugin, String config) {
    }

    /** Latencies of one (plugin, operation, mode), in milliseconds. */
    public record Figures(String plugin, String operation, String mode, double p50, double p99, double mean, int samples) {
    }

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 100;
        new CniBenchmark(rounds, 20, Math.max(1, rounds / 20)).run();
    }

    public List<Figures> run() throws Exception {
        if (!Files.isExecutable(REFERENCE_PLUGINS.resolve("ptp"))) {
            throw new IllegalStateException("the reference plugins are missing: apt-get install containernetworking-plugins");
        }
        Netns.deleteAll(PREFIX);
        Path work = Files.createTempDirectory(PREFIX);
        Netns node = Netns.create(PREFIX + "node");
        List<Netns> pods = new ArrayList<>();
        try {
            for (int i = 0; i < concurrency; i++) {
                pods.add(Netns.create(PREFIX + "pod" + i));
            }
            Path socket = work.resolve("cni.sock");
            AgentProcess agent = AgentProcess.start(node, new AgentProcess.Options("bench-node",
                    List.of("10.250.0.0/16"), socket, work.resolve("agent"), 1500));
            try (agent) {
                Subject jute = new Subject("jute", new CniPlugin(JuteArtifacts.cniLauncher(), List.of(), null),
                        """
                        {"cniVersion":"1.0.0","name":"jute-bench","type":"jute-cni","agentSocket":"%s"}""".formatted(socket));
                Subject reference = new Subject("ptp+host-local",
                        new CniPlugin(REFERENCE_PLUGINS.resolve("ptp"), List.of(REFERENCE_PLUGINS.toString()), null),
                        """
                        {"cniVersion":"1.0.0","name":"ref-bench","type":"ptp","ipMasq":false,\
                        "ipam":{"type":"host-local","ranges":[[{"subnet":"10.251.0.0/16"}]],"dataDir":"%s"}}"""
                                .formatted(work.resolve("host-local")));
                try (NetNamespace nodeNs = NetNamespace.open(node.path())) {
                    List<Figures> figures = new ArrayList<>();
                    for (Subject subject : List.of(jute, reference)) {
                        measure(nodeNs, subject, pods, 3, 1); // warm-up: page cache, JIT of the agent
                        figures.addAll(measure(nodeNs, subject, pods, sequentialRounds, concurrentRounds));
                    }
                    print(figures);
                    return figures;
                }
            } finally {
                // The agent logs its own share of each call (request received → answer sent) on shutdown.
                agent.log().lines().filter(l -> l.contains("cni requests"))
                        .forEach(l -> System.out.println("agent-side: " + l.substring(l.indexOf("series="))));
            }
        } finally {
            pods.forEach(Netns::delete);
            node.delete();
            Command.run("rm", "-rf", work.toString());
        }
    }

    private List<Figures> measure(NetNamespace nodeNs, Subject subject, List<Netns> pods, int rounds, int concurrentRounds)
            throws Exception {
        List<Double> seqAdd = new ArrayList<>();
        List<Double> seqDel = new ArrayList<>();
        for (int r = 0; r < rounds; r++) {
            Netns pod = pods.get(r % pods.size());
            String id = "bench-seq-" + r;
            seqAdd.add(timed(nodeNs, subject, CniPlugin.Invocation.add(id, pod.path(), "eth0")));
            seqDel.add(timed(nodeNs, subject, CniPlugin.Invocation.del(id, pod.path(), "eth0")));
        }
        List<Double> parAdd = new ArrayList<>();
        List<Double> parDel = new ArrayList<>();
        try (ExecutorService callers = Executors.newFixedThreadPool(pods.size())) {
            for (int r = 0; r < concurrentRounds; r++) {
                int round = r;
                parAdd.addAll(inParallel(callers, pods, pod -> timed(nodeNs, subject,
                        CniPlugin.Invocation.add("bench-par-" + round + "-" + pod.name(), pod.path(), "eth0"))));
                parDel.addAll(inParallel(callers, pods, pod -> timed(nodeNs, subject,
                        CniPlugin.Invocation.del("bench-par-" + round + "-" + pod.name(), pod.path(), "eth0"))));
            }
        }
        return List.of(figures(subject.name(), "ADD", "sequential", seqAdd),
                figures(subject.name(), "DEL", "sequential", seqDel),
                figures(subject.name(), "ADD", concurrency + " concurrent", parAdd),
                figures(subject.name(), "DEL", concurrency + " concurrent", parDel));
    }

    private interface PodCall {
        double call(Netns pod) throws Exception;
    }

    private static List<Double> inParallel(ExecutorService callers, List<Netns> pods, PodCall call) throws Exception {
        List<Future<Double>> futures = new ArrayList<>();
        for (Netns pod : pods) {
            futures.add(callers.submit(() -> call.call(pod)));
        }
        List<Double> results = new ArrayList<>();
        for (Future<Double> future : futures) {
            results.add(future.get());
        }
        return results;
    }

    /** Runs one invocation from inside the node namespace; returns its wall time in milliseconds. */
    private static double timed(NetNamespace nodeNs, Subject subject, CniPlugin.Invocation invocation) throws Exception {
        Command.Result result = nodeNs.call(() -> subject.plugin().invoke(invocation, subject.config()));
        if (!result.ok()) {
            throw new IllegalStateException(subject.name() + " " + invocation.command() + " failed: " + result.stdout()
                    + result.stderr());
        }
        return result.elapsed().toNanos() / 1e6;
    }

    private static Figures figures(String plugin, String operation, String mode, List<Double> samples) {
        double[] sorted = samples.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return new Figures(plugin, operation, mode, percentile(sorted, 0.50), percentile(sorted, 0.99),
                Arrays.stream(sorted).average().orElse(0), sorted.length);
    }

    private static double percentile(double[] sorted, double p) {
        if (sorted.length == 0) {
            return 0;
        }
        int index = (int) Math.ceil(p * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }

    private static void print(List<Figures> figures) {
        System.out.println();
        System.out.println("CNI benchmark (wall time per invocation, including the executable's start; ms)");
        System.out.printf(Locale.ROOT, "%-16s %-4s %-14s %8s %8s %8s %7s%n", "plugin", "op", "mode", "p50", "p99", "mean", "n");
        for (Figures f : figures) {
            System.out.printf(Locale.ROOT, "%-16s %-4s %-14s %8.1f %8.1f %8.1f %7d%n",
                    f.plugin(), f.operation(), f.mode(), f.p50(), f.p99(), f.mean(), f.samples());
        }
        System.out.println();
        System.out.println("ratio jute / ptp+host-local (lower is better for Jute)");
        int half = figures.size() / 2;
        for (int i = 0; i < half; i++) {
            Figures j = figures.get(i);
            Figures r = figures.get(i + half);
            System.out.printf(Locale.ROOT, "%-4s %-14s p50 %5.2fx   p99 %5.2fx%n",
                    j.operation(), j.mode(), j.p50() / r.p50(), j.p99() / r.p99());
        }
    }
}
