package dev.jute.policy;

import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Property tests on seeded random clusters: (1) the compiled state, looked up the way the dataplane
 * does, gives the reference evaluator's verdict for sampled connections; (2) after any sequence of
 * changes the incremental state equals a compilation from scratch, and every delta turns the
 * previous state into the next.
 */
class CompilerPropertyTest {

    private static final int NAMESPACES = 4;
    private static final int PODS_PER_NAMESPACE = 8;

    private record Run(PolicyCompiler compiler, List<Endpoint> pods, List<String> policyNames) {
    }

    private static Run cluster(RandomClusters random, int policies) {
        PolicyCompiler compiler = new PolicyCompiler(new IdentityAllocator());
        List<Endpoint> pods = new ArrayList<>();
        for (int ns = 0; ns < NAMESPACES; ns++) {
            compiler.putNamespace(random.namespace(ns));
            for (int i = 0; i < PODS_PER_NAMESPACE; i++) {
                Endpoint pod = random.pod(ns, i);
                pods.add(pod);
                compiler.putEndpoint(pod);
            }
        }
        List<String> names = new ArrayList<>();
        for (int i = 0; i < policies; i++) {
            NetworkPolicy policy = random.policy("p" + i);
            assertEquals(List.of(), compiler.applyPolicy(policy).problems(), "generated policy must be valid");
            names.add(policy.getMetadata().getNamespace() + "/" + policy.getMetadata().getName());
        }
        return new Run(compiler, pods, names);
    }

    /** Compares lookup and evaluator on sampled connections; returns {allowed, denied} counts. */
    private static int[] compareVerdicts(RandomClusters random, Run run, int samples, String context) {
        DesiredState state = run.compiler().desiredState();
        PolicyEvaluator evaluator = run.compiler().evaluator();
        List<Endpoint> pods = List.copyOf(run.compiler().state().endpoints());
        int[] outcomes = new int[2];
        for (int i = 0; i < samples; i++) {
            Party source = pods.get(random.nextInt(pods.size()));
            Party destination = pods.get(random.nextInt(pods.size()));
            int shape = random.nextInt(5);
            if (shape == 0) {
                source = random.external();
            } else if (shape == 1) {
                destination = random.external();
            }
            int port = random.port();
            Protocol protocol = random.protocol();
            Verdict expected = evaluator.allowed(source, destination, port, protocol);
            boolean compiled = DesiredStateLookup.allowed(state, source, destination, port, protocol);
            if (compiled != expected.allowed()) {
                throw new AssertionError(context + ": compiled state says " + (compiled ? "allowed" : "denied")
                        + " but the evaluator says:\n" + expected.explain());
            }
            outcomes[expected.allowed() ? 0 : 1]++;
        }
        return outcomes;
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})
    void compiledStateGivesTheEvaluatorsVerdict(long seed) {
        RandomClusters random = new RandomClusters(seed, NAMESPACES);
        Run run = cluster(random, 15);
        int[] outcomes = compareVerdicts(random, run, 3000, "seed " + seed);
        assertTrue(outcomes[0] > 0 && outcomes[1] > 0,
                "seed " + seed + " should produce both verdicts, got " + outcomes[0] + " allowed, " + outcomes[1] + " denied");
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {21, 22, 23, 24, 25, 26})
    void incrementalChangesMatchAFullRecompilation(long seed) {
        RandomClusters random = new RandomClusters(seed, NAMESPACES);
        Run run = cluster(random, 10);
        PolicyCompiler compiler = run.compiler();
        List<String> policyNames = new ArrayList<>(run.policyNames());
        int nextPolicy = policyNames.size();
        int nextPod = PODS_PER_NAMESPACE;
        for (int step = 0; step < 60; step++) {
            DesiredState before = compiler.desiredState();
            CompilationDelta delta;
            String change;
            switch (random.nextInt(7)) {
                case 0 -> {
                    NetworkPolicy policy = random.policy("p" + nextPolicy++);
                    policyNames.add(policy.getMetadata().getNamespace() + "/" + policy.getMetadata().getName());
                    change = "add policy";
                    delta = compiler.applyPolicy(policy);
                }
                case 1 -> {
                    // Replace: same name, new content (the generator may also move it to another namespace,
                    // which is then a new object; both are fine).
                    String name = ObjectRef.parse(policyNames.get(random.nextInt(policyNames.size()))).name();
                    NetworkPolicy policy = random.policy(name);
                    String ref = policy.getMetadata().getNamespace() + "/" + name;
                    if (!policyNames.contains(ref)) {
                        policyNames.add(ref);
                    }
                    change = "replace policy " + ref;
                    delta = compiler.applyPolicy(policy);
                }
                case 2 -> {
                    if (policyNames.isEmpty()) {
                        continue;
                    }
                    String ref = policyNames.remove(random.nextInt(policyNames.size()));
                    change = "delete policy " + ref;
                    delta = compiler.deletePolicy(ObjectRef.parse(ref));
                }
                case 3 -> {
                    List<Endpoint> pods = List.copyOf(compiler.state().endpoints());
                    Endpoint pod = pods.get(random.nextInt(pods.size()));
                    change = "relabel pod " + pod.ref();
                    delta = compiler.putEndpoint(pod.withLabels(random.podLabels()));
                }
                case 4 -> {
                    int ns = random.nextInt(NAMESPACES);
                    change = "relabel namespace " + ns;
                    delta = compiler.putNamespace(random.namespace(ns));
                }
                case 5 -> {
                    Endpoint pod = random.pod(random.nextInt(NAMESPACES), nextPod++);
                    change = "add pod " + pod.ref();
                    delta = compiler.putEndpoint(pod);
                }
                default -> {
                    List<Endpoint> pods = List.copyOf(compiler.state().endpoints());
                    Endpoint pod = pods.get(random.nextInt(pods.size()));
                    change = "remove pod " + pod.ref();
                    delta = compiler.removeEndpoint(pod.ref());
                }
            }
            String context = "seed " + seed + " step " + step + " (" + change + ")";
            assertEquals(List.of(), delta.problems(), context);
            assertEquals(compiler.desiredState(), delta.applyTo(before), context + ": delta incomplete");
            assertEquals(compiler.compileAll(), compiler.desiredState(), context + ": incremental state drifted");
            compareVerdicts(random, run, 200, context);
        }
    }

    /** 1,000 policies over 500 pods; the brief asks for well under 2 s. */
    @Test
    void compilesAThousandPoliciesOverFiveHundredPodsQuickly() {
        int namespaces = 10;
        RandomClusters random = new RandomClusters(99, namespaces);
        PolicyCompiler compiler = new PolicyCompiler(new IdentityAllocator());
        for (int ns = 0; ns < namespaces; ns++) {
            compiler.putNamespace(random.namespace(ns));
            for (int i = 0; i < 50; i++) {
                compiler.putEndpoint(random.pod(ns, i));
            }
        }
        long incrementalStart = System.nanoTime();
        for (int i = 0; i < 1000; i++) {
            assertEquals(List.of(), compiler.applyPolicy(random.policy("p" + i)).problems());
        }
        long incrementalMillis = (System.nanoTime() - incrementalStart) / 1_000_000;

        long best = Long.MAX_VALUE;
        DesiredState full = null;
        for (int round = 0; round < 3; round++) {
            long start = System.nanoTime();
            full = compiler.compileAll();
            best = Math.min(best, (System.nanoTime() - start) / 1_000_000);
        }
        assertEquals(full, compiler.desiredState());
        System.out.printf("PolicyCompiler: 1000 policies x 500 pods: full compile %d ms (best of 3), "
                        + "1000 incremental policy adds %d ms total, %d allow entries, %d identities%n",
                best, incrementalMillis, full.entryCount(), full.ipcache().values().stream().distinct().count());
        assertTrue(best < 2000, "full compile took " + best + " ms");
    }
}
