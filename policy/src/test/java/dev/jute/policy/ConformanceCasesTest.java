package dev.jute.policy;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Runs every upstream NetworkPolicy truth-table case against the reference evaluator and, in the
 * same steps, against the compiled dataplane state (through {@link DesiredStateLookup}), so the
 * compiler is held to the same truth as the semantics.
 */
class ConformanceCasesTest {

    private static final Map<String, String> SUMMARY = new ConcurrentSkipListMap<>();

    @TestFactory
    List<DynamicTest> everyCaseFilePasses() {
        Path directory = ConformanceCases.directory();
        List<Path> files = ConformanceCases.caseFiles(directory);
        assertFalse(files.isEmpty(), "no case files in " + directory);
        List<DynamicTest> tests = new ArrayList<>();
        for (Path file : files) {
            tests.add(DynamicTest.dynamicTest(file.getFileName().toString(), () -> runCase(file)));
        }
        return tests;
    }

    @AfterAll
    static void printSummary() {
        System.out.println("NetworkPolicy conformance cases:");
        SUMMARY.forEach((name, line) -> System.out.println("  " + line));
    }

    private static void runCase(Path file) {
        JsonNode testCase = ConformanceCases.read(file);
        String id = testCase.path("id").asText(file.getFileName().toString());
        JsonNode model = testCase.get("model");
        Map<String, Endpoint> pods = ConformanceCases.pods(model);

        ClusterState state = new ClusterState();
        PolicyCompiler compiler = new PolicyCompiler(new IdentityAllocator());
        for (Namespace namespace : ConformanceCases.namespaces(model)) {
            state.putNamespace(namespace);
            compiler.putNamespace(namespace);
        }
        for (Endpoint pod : pods.values()) {
            state.putEndpoint(pod);
            compiler.putEndpoint(pod);
        }
        PolicyEvaluator evaluator = new PolicyEvaluator(state);

        List<String> failures = new ArrayList<>();
        int probes = 0;
        int pairs = 0;
        int stepIndex = 0;
        for (JsonNode step : testCase.get("steps")) {
            stepIndex++;
            if (step.has("probe")) {
                probes++;
                pairs += probe(step.get("probe"), stepIndex, pods, evaluator, compiler.desiredState(), failures);
            } else if (step.has("apply")) {
                for (JsonNode policyJson : step.get("apply")) {
                    NetworkPolicy policy = ConformanceCases.policy(policyJson, pods);
                    List<ValidationProblem> problems = state.applyPolicy(policy);
                    assertEquals(List.of(), problems, id + " step " + stepIndex + ": policy rejected");
                    CompilationDelta delta = compiler.applyPolicy(policy);
                    assertEquals(List.of(), delta.problems(), id + " step " + stepIndex + ": compiler rejected policy");
                }
            } else if (step.has("delete")) {
                for (JsonNode ref : step.get("delete")) {
                    ObjectRef policyRef = new ObjectRef(ref.get("namespace").asText(), ref.get("name").asText());
                    assertTrue(state.deletePolicy(policyRef).isPresent(), id + ": deleting unknown policy " + policyRef);
                    compiler.deletePolicy(policyRef);
                }
            } else if (step.has("setNamespaceLabels")) {
                JsonNode change = step.get("setNamespaceLabels");
                Namespace namespace = new Namespace(change.get("namespace").asText(),
                        ConformanceCases.labels(change.get("labels")));
                state.putNamespace(namespace);
                compiler.putNamespace(namespace);
            } else if (step.has("setPodLabels")) {
                JsonNode change = step.get("setPodLabels");
                String key = change.get("namespace").asText() + "/" + change.get("pod").asText();
                Endpoint relabelled = pods.get(key).withLabels(ConformanceCases.labels(change.get("labels")));
                pods.put(key, relabelled);
                state.putEndpoint(relabelled);
                compiler.putEndpoint(relabelled);
            } else {
                fail(id + " step " + stepIndex + ": unknown step " + step.fieldNames().next());
            }
        }
        // The incrementally maintained state must equal a compilation from scratch.
        assertEquals(compiler.compileAll(), compiler.desiredState(), id + ": incremental state drifted");

        SUMMARY.put(id, String.format("%-6s %s (%d probes, %d pairs%s)", failures.isEmpty() ? "PASS" : "FAIL", id,
                probes, pairs, failures.isEmpty() ? "" : ", " + failures.size() + " mismatches"));
        if (!failures.isEmpty()) {
            fail(id + ": " + failures.size() + " mismatches:\n" + String.join("\n", failures));
        }
    }

    private static int probe(JsonNode probe, int stepIndex, Map<String, Endpoint> pods, PolicyEvaluator evaluator,
                             DesiredState compiled, List<String> failures) {
        int port = probe.get("port").asInt();
        Protocol protocol = Protocol.parse(probe.get("protocol").asText()).orElseThrow();
        boolean ignoreLoopback = probe.path("ignoreLoopback").asBoolean(false);
        // viaService: until Service NAT exists, probing the pod directly is the equivalent (README).
        int judged = 0;
        var from = probe.get("expect").fields();
        while (from.hasNext()) {
            var row = from.next();
            var to = row.getValue().fields();
            while (to.hasNext()) {
                var cell = to.next();
                if (ignoreLoopback && row.getKey().equals(cell.getKey())) {
                    continue;
                }
                Endpoint source = pods.get(row.getKey());
                Endpoint destination = pods.get(cell.getKey());
                boolean expected = cell.getValue().asBoolean();
                Verdict verdict = evaluator.allowed(source, destination, port, protocol);
                judged++;
                if (verdict.allowed() != expected) {
                    failures.add("step " + stepIndex + " evaluator: expected " + (expected ? "allowed" : "denied")
                            + ", got:\n" + verdict.explain());
                }
                boolean compiledVerdict = DesiredStateLookup.allowed(compiled, source, destination, port, protocol);
                if (compiledVerdict != expected) {
                    failures.add("step " + stepIndex + " compiled state: expected " + (expected ? "allowed" : "denied")
                            + " for " + row.getKey() + " -> " + cell.getKey() + " " + port + "/" + protocol);
                }
            }
        }
        return judged;
    }
}
