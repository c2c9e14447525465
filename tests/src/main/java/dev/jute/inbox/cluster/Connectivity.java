package dev.jute.inbox.cluster;

import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/** Runs many {@link Probe}s at once (one virtual thread each) and collects their results in order. */
public final class Connectivity {

    /** One probe to run: from a pod's namespace to an address and port. */
    public record Target(String from, Path fromNetns, String to, InetAddress address, int port, String protocol) {
    }

    /** A target and what the probe saw; {@code reachable} also requires the answer to name the expected pod. */
    public record Outcome(Target target, Probe.Result result, String expectedAnswer) {
        public boolean reachable() {
            return result.reachable() && (expectedAnswer == null || expectedAnswer.equals(result.answer()));
        }
    }

    private Connectivity() {
    }

    /**
     * @param expectedAnswers per target's {@code to}, the pod name its server answers with (or none to
     *                        accept any answer)
     */
    public static List<Outcome> probeAll(List<Target> targets, Map<String, String> expectedAnswers, Duration timeout)
            throws InterruptedException {
        Map<Target, Future<Probe.Result>> running = new LinkedHashMap<>();
        try (ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor()) {
            for (Target target : targets) {
                running.put(target, executor.submit(() -> Probe.run(target.fromNetns(), target.protocol(), target.address(),
                        target.port(), timeout)));
            }
        }
        List<Outcome> outcomes = new ArrayList<>();
        for (var entry : running.entrySet()) {
            try {
                outcomes.add(new Outcome(entry.getKey(), entry.getValue().get(), expectedAnswers.get(entry.getKey().to())));
            } catch (java.util.concurrent.ExecutionException e) {
                outcomes.add(new Outcome(entry.getKey(), new Probe.Result(false, null, e.getCause().toString()), null));
            }
        }
        return outcomes;
    }
}
