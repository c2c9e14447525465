package dev.jute.policy;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.jute.policy.Fixtures.labels;
import static dev.jute.policy.Fixtures.pod;
import static dev.jute.policy.Fixtures.policy;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** One test per NetworkPolicy semantic rule, each showing an allowed and a denied case. */
class PolicyEvaluatorTest {

    private final ClusterState state = new ClusterState();
    private final PolicyEvaluator evaluator = new PolicyEvaluator(state);

    private final Endpoint xa = pod("x/a", "10.0.1.1", labels("pod=a", "app=web"), "http:80/TCP", "dns:53/UDP", "diameter:3868/SCTP");
    private final Endpoint xb = pod("x/b", "10.0.1.2", labels("pod=b"), "http:8080/TCP");
    private final Endpoint xc = pod("x/c", "10.0.1.3", labels("pod=c"));
    private final Endpoint ya = pod("y/a", "10.0.2.1", labels("pod=a"), "http:80/TCP");
    private final Endpoint yb = pod("y/b", "10.0.2.2", labels("pod=b"), "http:9090/TCP");
    private final Endpoint za = pod("z/a", "10.0.3.1", labels("pod=a"));
    private final ExternalAddress internet = ExternalAddress.parse("192.168.1.10");
    private final ExternalAddress inPodRange = ExternalAddress.parse("10.0.9.9");

    @BeforeEach
    void cluster() {
        state.putNamespace(Fixtures.namespace("x", "team=blue"));
        state.putNamespace(Fixtures.namespace("y", "team=red"));
        state.putNamespace(Fixtures.namespace("z"));
        for (Endpoint endpoint : List.of(xa, xb, xc, ya, yb, za)) {
            state.putEndpoint(endpoint);
        }
    }

    private void apply(String yaml) {
        assertEquals(List.of(), state.applyPolicy(policy(yaml)));
    }

    private boolean allowed(Party source, Party destination, int port, Protocol protocol) {
        return evaluator.allowed(source, destination, port, protocol).allowed();
    }

    private boolean tcp(Party source, Party destination, int port) {
        return allowed(source, destination, port, Protocol.TCP);
    }

    @Test
    void withoutPoliciesEverythingIsAllowed() {
        Verdict verdict = evaluator.allowed(xa, yb, 9090, Protocol.TCP);
        assertTrue(verdict.allowed());
        assertFalse(verdict.egress().isolated());
        assertFalse(verdict.ingress().isolated());
        assertTrue(verdict.explain().contains("not isolated"), verdict.explain());
    }

    @Test
    void missingOrEmptyIngressListDeniesAllIngressButAnEmptyRuleAllowsAll() {
        apply("""
                metadata: {name: deny, namespace: x}
                spec: {podSelector: {matchLabels: {pod: a}}}
                """);
        assertFalse(tcp(xb, xa, 80), "no ingress list: isolated, nothing allowed");
        assertTrue(tcp(xa, xb, 8080), "only the selected pod is isolated");
        assertTrue(tcp(xa, ya, 80), "ingress isolation does not restrict the pod's egress");

        apply("""
                metadata: {name: deny, namespace: x}
                spec: {podSelector: {matchLabels: {pod: a}}, ingress: []}
                """);
        assertFalse(tcp(xb, xa, 80), "an empty ingress list is the same as none");

        apply("""
                metadata: {name: deny, namespace: x}
                spec: {podSelector: {matchLabels: {pod: a}}, ingress: [{}]}
                """);
        assertTrue(tcp(xb, xa, 80), "one empty rule allows everything");
        assertTrue(allowed(internet, xa, 3868, Protocol.SCTP));
    }

    @Test
    void emptyFromAndEmptyPortsMatchEverything() {
        apply("""
                metadata: {name: p, namespace: x}
                spec:
                  podSelector: {matchLabels: {pod: a}}
                  ingress:
                  - from: []
                    ports: [{port: 80}]
                  - from: [{podSelector: {matchLabels: {pod: c}}}]
                    ports: []
                """);
        assertTrue(tcp(za, xa, 80), "empty from: every source");
        assertTrue(tcp(internet, xa, 80), "empty from includes external sources");
        assertFalse(tcp(za, xa, 81));
        assertTrue(tcp(xc, xa, 12345), "empty ports: every port");
        assertTrue(allowed(xc, xa, 53, Protocol.UDP), "empty ports: every protocol");
        assertFalse(tcp(xb, xa, 12345));
    }

    @Test
    void rulesOfADirectionMissingFromExplicitPolicyTypesAreIgnored() {
        apply("""
                metadata: {name: p, namespace: x}
                spec:
                  podSelector: {matchLabels: {pod: a}}
                  ingress: [{from: [{podSelector: {matchLabels: {pod: b}}}]}]
                  egress: [{to: [{podSelector: {matchLabels: {pod: b}}}]}]
                  policyTypes: [Egress]
                """);
        assertTrue(tcp(xc, xa, 80), "not isolated for ingress: the ingress rules do not apply");
        assertFalse(tcp(xa, xc, 80), "isolated for egress");
        assertTrue(tcp(xa, xb, 8080));
    }

    @Test
    void defaultedPolicyTypesIsolateForEgressOnlyWhenThereAreEgressRules() {
        apply("""
                metadata: {name: p, namespace: x}
                spec:
                  podSelector: {matchLabels: {pod: a}}
                  egress: [{to: [{podSelector: {matchLabels: {pod: b}}}]}]
                """);
        assertFalse(tcp(xa, xc, 80), "egress rules present: isolated for egress");
        assertFalse(tcp(xc, xa, 80), "Ingress is always defaulted in: isolated, no ingress rules");
        assertTrue(tcp(xa, xb, 8080));
    }

    @Test
    void namedPortsResolvePerDestinationPodOnIngress() {
        apply("""
                metadata: {name: p, namespace: x}
                spec:
                  podSelector: {}
                  ingress: [{ports: [{port: http}]}]
                """);
        assertTrue(tcp(za, xa, 80), "x/a calls port 80 http");
        assertFalse(tcp(za, xa, 8080));
        assertTrue(tcp(za, xb, 8080), "x/b calls port 8080 http");
        assertFalse(tcp(za, xb, 80));
        assertFalse(tcp(za, xc, 80), "x/c has no port named http: nothing matches");
        assertFalse(allowed(za, xa, 80, Protocol.UDP), "the name resolves for the rule's protocol only");
    }

    @Test
    void namedPortsResolveOnTheRemotePodOnEgressAndNeverMatchExternalAddresses() {
        apply("""
                metadata: {name: p, namespace: x}
                spec:
                  podSelector: {matchLabels: {pod: c}}
                  egress: [{ports: [{port: http}]}]
                  policyTypes: [Egress]
                """);
        assertTrue(tcp(xc, ya, 80));
        assertTrue(tcp(xc, yb, 9090));
        assertFalse(tcp(xc, yb, 80), "y/b calls 9090 http, not 80");
        assertFalse(tcp(xc, za, 80), "z/a has no named ports");
        assertFalse(tcp(xc, internet, 80), "an external address has no named ports");
        assertFalse(tcp(xc, inPodRange, 80));
    }

    @Test
    void ipBlockWithExcept() {
        apply("""
                metadata: {name: p, namespace: x}
                spec:
                  podSelector: {matchLabels: {pod: a}}
                  egress: [{to: [{ipBlock: {cidr: 10.0.0.0/16, except: [10.0.2.0/24]}}]}]
                  policyTypes: [Egress]
                """);
        assertTrue(tcp(xa, inPodRange, 443), "external address inside the block");
        assertTrue(tcp(xa, za, 80), "ipBlock matches pod addresses too");
        assertFalse(tcp(xa, ya, 80), "inside except");
        assertFalse(tcp(xa, yb, 80), "inside except");
        assertFalse(tcp(xa, internet, 80), "outside the block");
    }

    @Test
    void ipBlockOnIngressMatchesPodAndExternalSources() {
        apply("""
                metadata: {name: p, namespace: x}
                spec:
                  podSelector: {matchLabels: {pod: a}}
                  ingress: [{from: [{ipBlock: {cidr: 10.0.2.1/32}}, {ipBlock: {cidr: 192.168.0.0/16}}]}]
                """);
        assertTrue(tcp(ya, xa, 80));
        assertFalse(tcp(yb, xa, 80));
        assertTrue(tcp(internet, xa, 80));
        assertFalse(tcp(inPodRange, xa, 80));
    }

    @Test
    void namespaceAndPodSelectorInOnePeerAreAndedSeparatePeersAreOred() {
        apply("""
                metadata: {name: and, namespace: x}
                spec:
                  podSelector: {matchLabels: {pod: a}}
                  ingress: [{from: [{namespaceSelector: {matchLabels: {team: red}}, podSelector: {matchLabels: {pod: b}}}]}]
                """);
        assertTrue(tcp(yb, xa, 80), "red namespace AND pod=b");
        assertFalse(tcp(ya, xa, 80), "red namespace but pod=a");
        assertFalse(tcp(xb, xa, 80), "pod=b but blue namespace");

        apply("""
                metadata: {name: and, namespace: x}
                spec:
                  podSelector: {matchLabels: {pod: a}}
                  ingress: [{from: [{namespaceSelector: {matchLabels: {team: red}}}, {podSelector: {matchLabels: {pod: b}}}]}]
                """);
        assertTrue(tcp(yb, xa, 80));
        assertTrue(tcp(ya, xa, 80), "any pod of the red namespace");
        assertTrue(tcp(xb, xa, 80), "pod=b of the policy's own namespace");
        assertFalse(tcp(za, xa, 80));
        assertFalse(tcp(xc, xa, 80));
    }

    @Test
    void podSelectorPeerAloneMeansThePolicysNamespaceEmptyNamespaceSelectorMeansAll() {
        apply("""
                metadata: {name: p, namespace: x}
                spec:
                  podSelector: {matchLabels: {pod: a}}
                  ingress: [{from: [{podSelector: {}}]}]
                """);
        assertTrue(tcp(xc, xa, 80));
        assertFalse(tcp(ya, xa, 80), "podSelector alone: own namespace only");

        apply("""
                metadata: {name: p, namespace: x}
                spec:
                  podSelector: {matchLabels: {pod: a}}
                  ingress: [{from: [{namespaceSelector: {}}]}]
                """);
        assertTrue(tcp(ya, xa, 80));
        assertTrue(tcp(za, xa, 80));
        assertFalse(tcp(internet, xa, 80), "namespaceSelector selects pods, never external addresses");
    }

    @Test
    void matchExpressionOperatorsInPolicies() {
        apply("""
                metadata: {name: p, namespace: x}
                spec:
                  podSelector: {matchExpressions: [{key: app, operator: Exists}]}
                  ingress:
                  - from:
                    - namespaceSelector: {matchExpressions: [{key: team, operator: NotIn, values: [blue]}]}
                      podSelector: {matchExpressions: [{key: pod, operator: In, values: [a, c]}]}
                    - podSelector: {matchExpressions: [{key: app, operator: DoesNotExist}, {key: pod, operator: NotIn, values: [b]}]}
                """);
        assertTrue(tcp(ya, xa, 80), "y is not blue, pod=a");
        assertTrue(tcp(za, xa, 80), "z has no team label: NotIn matches");
        assertFalse(tcp(yb, xa, 80), "pod=b is not In (a, c)");
        assertTrue(tcp(xc, xa, 80), "second peer: no app label, pod not b");
        assertFalse(tcp(xb, xa, 80), "second peer: pod=b excluded");
        assertTrue(tcp(ya, xb, 8080), "x/b has no app label: not selected, not isolated");
    }

    @Test
    void sctpIsNotTcp() {
        apply("""
                metadata: {name: p, namespace: x}
                spec:
                  podSelector: {matchLabels: {pod: a}}
                  ingress: [{ports: [{protocol: SCTP, port: 3868}]}]
                """);
        assertTrue(allowed(ya, xa, 3868, Protocol.SCTP));
        assertFalse(allowed(ya, xa, 3868, Protocol.TCP));
        assertFalse(allowed(ya, xa, 3868, Protocol.UDP));
    }

    @Test
    void aUdpOnlyPolicyDeniesTcp() {
        apply("""
                metadata: {name: p, namespace: x}
                spec:
                  podSelector: {matchLabels: {pod: a}}
                  ingress: [{ports: [{protocol: UDP, port: 53}]}]
                """);
        assertTrue(allowed(ya, xa, 53, Protocol.UDP));
        assertFalse(allowed(ya, xa, 53, Protocol.TCP));
    }

    @Test
    void protocolWithoutPortMeansEveryPortOfThatProtocol() {
        apply("""
                metadata: {name: p, namespace: x}
                spec:
                  podSelector: {matchLabels: {pod: a}}
                  ingress: [{ports: [{protocol: UDP}]}]
                """);
        assertTrue(allowed(ya, xa, 1, Protocol.UDP));
        assertTrue(allowed(ya, xa, 65535, Protocol.UDP));
        assertFalse(allowed(ya, xa, 53, Protocol.TCP));
    }

    @Test
    void endPortRangesAreInclusive() {
        apply("""
                metadata: {name: p, namespace: x}
                spec:
                  podSelector: {matchLabels: {pod: a}}
                  ingress: [{ports: [{port: 1000, endPort: 2000}]}]
                """);
        assertFalse(tcp(ya, xa, 999));
        assertTrue(tcp(ya, xa, 1000));
        assertTrue(tcp(ya, xa, 1500));
        assertTrue(tcp(ya, xa, 2000));
        assertFalse(tcp(ya, xa, 2001));
    }

    @Test
    void policiesSelectingOnePodAreAUnionAndTheExplanationNamesThemAll() {
        apply("""
                metadata: {name: from-b, namespace: x}
                spec:
                  podSelector: {matchLabels: {pod: a}}
                  ingress: [{from: [{podSelector: {matchLabels: {pod: b}}}]}]
                """);
        apply("""
                metadata: {name: from-c, namespace: x}
                spec:
                  podSelector: {}
                  ingress:
                  - from: [{podSelector: {matchLabels: {pod: nobody}}}]
                  - from: [{podSelector: {matchLabels: {pod: c}}}]
                """);
        assertTrue(tcp(xb, xa, 80));
        assertTrue(tcp(xc, xa, 80));
        Verdict denied = evaluator.allowed(ya, xa, 80, Protocol.TCP);
        assertFalse(denied.allowed());
        assertEquals(List.of(new ObjectRef("x", "from-b"), new ObjectRef("x", "from-c")),
                denied.ingress().isolatingPolicies());
        assertTrue(denied.explain().contains("no rule allowed"), denied.explain());

        Verdict allowed = evaluator.allowed(xc, xa, 80, Protocol.TCP);
        assertEquals(List.of(new RuleMatch(new ObjectRef("x", "from-c"), Direction.INGRESS, 1)),
                allowed.ingress().allowedBy());
        assertTrue(allowed.explain().contains("allowed by x/from-c ingress[1]"), allowed.explain());
        assertTrue(allowed.explain().startsWith("x/c "), allowed.explain());
    }

    @Test
    void trafficNeedsBothTheSourcesEgressAndTheDestinationsIngress() {
        apply("""
                metadata: {name: server-allows, namespace: y}
                spec:
                  podSelector: {matchLabels: {pod: a}}
                  ingress: [{from: [{namespaceSelector: {matchLabels: {team: blue}}}]}]
                """);
        apply("""
                metadata: {name: client-denies, namespace: x}
                spec:
                  podSelector: {matchLabels: {pod: a}}
                  policyTypes: [Egress]
                """);
        Verdict verdict = evaluator.allowed(xa, ya, 80, Protocol.TCP);
        assertTrue(verdict.ingress().allowed());
        assertFalse(verdict.egress().allowed());
        assertFalse(verdict.allowed());
        assertTrue(tcp(xb, ya, 80));
    }

    @Test
    void isolationIsPerDirection() {
        apply("""
                metadata: {name: egress-only, namespace: x}
                spec:
                  podSelector: {matchLabels: {pod: a}}
                  egress: [{to: [{podSelector: {matchLabels: {pod: b}}}]}]
                  policyTypes: [Egress]
                """);
        Verdict inbound = evaluator.allowed(za, xa, 80, Protocol.TCP);
        assertTrue(inbound.allowed());
        assertFalse(inbound.ingress().isolated());
        assertTrue(evaluator.allowed(xa, za, 80, Protocol.TCP).egress().isolated());
    }

    @Test
    void externalSidesHaveNoPoliciesOfTheirOwn() {
        apply("""
                metadata: {name: deny-all, namespace: x}
                spec: {podSelector: {}, policyTypes: [Ingress, Egress]}
                """);
        Verdict inbound = evaluator.allowed(internet, xa, 80, Protocol.TCP);
        assertFalse(inbound.allowed());
        assertTrue(inbound.explain().contains("not a pod"), inbound.explain());
        assertFalse(tcp(xa, internet, 80));
        assertTrue(tcp(internet, ya, 80));
    }

    @Test
    void namespaceLabelChangesTakeEffect() {
        apply("""
                metadata: {name: p, namespace: x}
                spec:
                  podSelector: {matchLabels: {pod: a}}
                  ingress: [{from: [{namespaceSelector: {matchLabels: {trusted: "yes"}}}]}]
                """);
        assertFalse(tcp(za, xa, 80));
        state.putNamespace(Fixtures.namespace("z", "trusted=yes"));
        assertTrue(tcp(za, xa, 80));
    }
}
