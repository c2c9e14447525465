package dev.jute.policy;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static dev.jute.policy.Fixtures.policy;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PolicyValidatorTest {

    private static List<ValidationProblem> problemsOf(String spec) {
        return PolicyValidator.validate(policy("metadata: {name: p, namespace: x}\nspec:\n" + spec));
    }

    private static void assertSingleProblem(String spec, String field, String messagePart) {
        List<ValidationProblem> problems = problemsOf(spec);
        assertEquals(1, problems.size(), problems.toString());
        assertEquals(field, problems.getFirst().field(), problems.toString());
        assertTrue(problems.getFirst().message().contains(messagePart),
                "'" + problems.getFirst().message() + "' should mention '" + messagePart + "'");
    }

    @Test
    void validPolicyHasNoProblems() {
        assertEquals(List.of(), problemsOf("""
                  podSelector: {matchLabels: {app: web}}
                  ingress:
                  - from:
                    - podSelector: {matchExpressions: [{key: role, operator: In, values: [client]}]}
                      namespaceSelector: {}
                    - ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}
                    ports:
                    - {port: 80}
                    - {port: http, protocol: TCP}
                    - {port: 1000, endPort: 2000, protocol: UDP}
                    - {protocol: SCTP}
                """));
    }

    @Test
    void invalidCidrIsReported() {
        assertSingleProblem("""
                  podSelector: {}
                  egress: [{to: [{ipBlock: {cidr: 10.0.0/8}}]}]
                """, "spec.egress[0].to[0].ipBlock.cidr", "invalid CIDR");
        assertSingleProblem("""
                  podSelector: {}
                  egress: [{to: [{ipBlock: {cidr: 10.0.0.0/33}}]}]
                """, "spec.egress[0].to[0].ipBlock.cidr", "exceeds 32");
        assertSingleProblem("""
                  podSelector: {}
                  egress: [{to: [{ipBlock: {cidr: 10.0.0.0}}]}]
                """, "spec.egress[0].to[0].ipBlock.cidr", "missing /prefix-length");
        assertSingleProblem("""
                  podSelector: {}
                  egress: [{to: [{ipBlock: {cidr: example.com/8}}]}]
                """, "spec.egress[0].to[0].ipBlock.cidr", "not an IP address");
    }

    @Test
    void exceptMustBeAStrictSubsetOfCidr() {
        assertSingleProblem("""
                  podSelector: {}
                  ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/16, except: [10.1.0.0/24]}}]}]
                """, "spec.ingress[0].from[0].ipBlock.except[0]", "strict subset");
        assertSingleProblem("""
                  podSelector: {}
                  ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/16, except: [10.0.0.0/16]}}]}]
                """, "spec.ingress[0].from[0].ipBlock.except[0]", "strict subset");
        assertSingleProblem("""
                  podSelector: {}
                  ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/16, except: ["fd00::/64"]}}]}]
                """, "spec.ingress[0].from[0].ipBlock.except[0]", "address family");
    }

    @Test
    void unknownProtocolIsReported() {
        assertSingleProblem("""
                  podSelector: {}
                  ingress: [{ports: [{protocol: ICMP, port: 1}]}]
                """, "spec.ingress[0].ports[0].protocol", "'ICMP'");
        // The API is case-sensitive.
        assertSingleProblem("""
                  podSelector: {}
                  ingress: [{ports: [{protocol: tcp, port: 1}]}]
                """, "spec.ingress[0].ports[0].protocol", "'tcp'");
    }

    @Test
    void portsAndEndPortsOutOfRangeAreReported() {
        assertSingleProblem("""
                  podSelector: {}
                  ingress: [{ports: [{port: 0}]}]
                """, "spec.ingress[0].ports[0].port", "between 1 and 65535");
        assertSingleProblem("""
                  podSelector: {}
                  ingress: [{ports: [{port: 65536}]}]
                """, "spec.ingress[0].ports[0].port", "between 1 and 65535");
        assertSingleProblem("""
                  podSelector: {}
                  ingress: [{ports: [{port: 100, endPort: 99}]}]
                """, "spec.ingress[0].ports[0].endPort", "greater than or equal to port 100");
        assertSingleProblem("""
                  podSelector: {}
                  ingress: [{ports: [{port: 100, endPort: 70000}]}]
                """, "spec.ingress[0].ports[0].endPort", "between 1 and 65535");
    }

    @Test
    void endPortNeedsANumericPort() {
        assertSingleProblem("""
                  podSelector: {}
                  ingress: [{ports: [{endPort: 90}]}]
                """, "spec.ingress[0].ports[0].endPort", "port is not specified");
        assertSingleProblem("""
                  podSelector: {}
                  ingress: [{ports: [{port: http, endPort: 90}]}]
                """, "spec.ingress[0].ports[0].endPort", "named port");
    }

    @Test
    void badPortNamesAreReported() {
        assertSingleProblem("""
                  podSelector: {}
                  ingress: [{ports: [{port: "80"}]}]
                """, "spec.ingress[0].ports[0].port", "at least one letter");
        assertSingleProblem("""
                  podSelector: {}
                  ingress: [{ports: [{port: Http}]}]
                """, "spec.ingress[0].ports[0].port", "lowercase");
        assertSingleProblem("""
                  podSelector: {}
                  ingress: [{ports: [{port: a-very-long-port-name}]}]
                """, "spec.ingress[0].ports[0].port", "longer than 15");
    }

    @Test
    void badSelectorsAreReportedWithTheirPath() {
        assertSingleProblem("""
                  podSelector: {matchExpressions: [{key: app, operator: Equals, values: [a]}]}
                """, "spec.podSelector.matchExpressions[0].operator", "'Equals'");
        assertSingleProblem("""
                  podSelector: {}
                  ingress: [{from: [{namespaceSelector: {matchExpressions: [{key: team, operator: In}]}}]}]
                """, "spec.ingress[0].from[0].namespaceSelector.matchExpressions[0].values", "non-empty");
    }

    @Test
    void peersMustBeOneKind() {
        assertSingleProblem("""
                  podSelector: {}
                  ingress: [{from: [{podSelector: {}, ipBlock: {cidr: 10.0.0.0/8}}]}]
                """, "spec.ingress[0].from[0]", "may not specify ipBlock together");
        assertSingleProblem("""
                  podSelector: {}
                  ingress: [{from: [{}]}]
                """, "spec.ingress[0].from[0]", "must specify a peer");
    }

    @Test
    void policyTypesMustBeKnownAndUnique() {
        assertSingleProblem("""
                  podSelector: {}
                  policyTypes: [Ingress, Sideways]
                """, "spec.policyTypes[1]", "'Sideways'");
        assertSingleProblem("""
                  podSelector: {}
                  policyTypes: [Egress, Egress]
                """, "spec.policyTypes[1]", "duplicate");
    }

    @Test
    void everyProblemIsReportedNotOnlyTheFirst() {
        List<ValidationProblem> problems = problemsOf("""
                  podSelector: {}
                  ingress:
                  - from: [{ipBlock: {cidr: nonsense}}]
                    ports: [{port: 0}, {protocol: XTP}]
                """);
        assertEquals(3, problems.size(), problems.toString());
    }

    @Test
    void missingNameOrNamespaceIsReported() {
        List<ValidationProblem> problems = PolicyValidator.validate(policy("metadata: {name: p}\nspec: {podSelector: {}}"));
        assertEquals(List.of(new ValidationProblem("metadata.namespace", "required")), problems);
    }

    @Test
    void serverDefaultsAreApplied() {
        Policy ingressOnly = Policy.from(policy("""
                metadata: {name: p, namespace: x}
                spec:
                  podSelector: {}
                  ingress: [{ports: [{port: 80}]}]
                """));
        assertEquals(Set.of(Direction.INGRESS), ingressOnly.policyTypes());
        assertEquals(List.of(new PortMatch.Numbers(Protocol.TCP, PortRange.single(80))),
                ingressOnly.ingress().getFirst().ports(), "protocol defaults to TCP");

        Policy withEgress = Policy.from(policy("""
                metadata: {name: p, namespace: x}
                spec:
                  podSelector: {}
                  egress: [{}]
                """));
        assertEquals(Set.of(Direction.INGRESS, Direction.EGRESS), withEgress.policyTypes(),
                "egress rules add Egress; Ingress is always defaulted");

        Policy explicit = Policy.from(policy("""
                metadata: {name: p, namespace: x}
                spec:
                  podSelector: {}
                  egress: [{}]
                  policyTypes: [Egress]
                """));
        assertEquals(Set.of(Direction.EGRESS), explicit.policyTypes());

        Policy hostBits = Policy.from(policy("""
                metadata: {name: p, namespace: x}
                spec:
                  podSelector: {}
                  ingress: [{from: [{ipBlock: {cidr: 10.0.1.1/8}}]}]
                """));
        PeerSelector.IpBlock block = assertInstanceOf(PeerSelector.IpBlock.class,
                hostBits.ingress().getFirst().peers().getFirst());
        assertEquals(IpCidr.parse("10.0.0.0/8"), block.cidr(), "host bits are accepted and cleared");
    }

    @Test
    void policyFromThrowsWithEveryProblem() {
        InvalidPolicyException e = assertThrows(InvalidPolicyException.class, () -> Policy.from(policy("""
                metadata: {name: p, namespace: x}
                spec:
                  podSelector: {}
                  ingress: [{ports: [{port: 0}, {port: 70000}]}]
                """)));
        assertEquals(2, e.problems().size());
        assertTrue(e.getMessage().contains("x/p"), e.getMessage());
    }

    @Test
    void invalidPolicyIsSkippedAndTheOthersStillApply() {
        ClusterState state = new ClusterState();
        state.putNamespace(Fixtures.namespace("x"));
        Endpoint a = Fixtures.pod("x/a", "10.0.1.1", Fixtures.labels("pod=a"));
        Endpoint b = Fixtures.pod("x/b", "10.0.1.2", Fixtures.labels("pod=b"));
        state.putEndpoint(a);
        state.putEndpoint(b);
        List<ValidationProblem> bad = state.applyPolicy(policy("""
                metadata: {name: broken, namespace: x}
                spec:
                  podSelector: {}
                  ingress: [{from: [{ipBlock: {cidr: 300.0.0.0/8}}]}]
                """));
        List<ValidationProblem> good = state.applyPolicy(policy("""
                metadata: {name: deny-a, namespace: x}
                spec:
                  podSelector: {matchLabels: {pod: a}}
                """));
        assertEquals(1, bad.size());
        assertEquals(List.of(), good);
        assertEquals(List.of(new ObjectRef("x", "deny-a")), state.policies().stream().map(Policy::ref).toList());
        PolicyEvaluator evaluator = new PolicyEvaluator(state);
        assertTrue(!evaluator.allowed(b, a, 80, Protocol.TCP).allowed(), "the valid policy is enforced");
        assertTrue(evaluator.allowed(a, b, 80, Protocol.TCP).allowed(), "the broken one is not");

        // Replacing a valid policy by an invalid version keeps the valid one in force.
        List<ValidationProblem> badUpdate = state.applyPolicy(policy("""
                metadata: {name: deny-a, namespace: x}
                spec:
                  podSelector: {matchExpressions: [{key: pod, operator: Is, values: [a]}]}
                """));
        assertEquals(1, badUpdate.size());
        assertTrue(!evaluator.allowed(b, a, 80, Protocol.TCP).allowed());
    }
}
