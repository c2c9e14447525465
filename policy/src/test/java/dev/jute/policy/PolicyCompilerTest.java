package dev.jute.policy;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static dev.jute.policy.Fixtures.labels;
import static dev.jute.policy.Fixtures.pod;
import static dev.jute.policy.Fixtures.policy;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PolicyCompilerTest {

    private final IdentityAllocator identities = new IdentityAllocator();
    private final PolicyCompiler compiler = new PolicyCompiler(identities);
    private final Endpoint xa = pod("x/a", "10.0.1.1", labels("pod=a"), "http:80/TCP");
    private final Endpoint xb = pod("x/b", "10.0.1.2", labels("pod=b"), "http:8080/TCP");
    private final Endpoint xb2 = pod("x/b2", "10.0.1.4", labels("pod=b"), "http:8081/TCP");
    private final Endpoint ya = pod("y/a", "10.0.2.1", labels("pod=a"));

    @BeforeEach
    void cluster() {
        compiler.putNamespace(Fixtures.namespace("x"));
        compiler.putNamespace(Fixtures.namespace("y", "team=red"));
        for (Endpoint endpoint : List.of(xa, xb, xb2, ya)) {
            compiler.putEndpoint(endpoint);
        }
    }

    private int identity(Endpoint endpoint) {
        return compiler.desiredState().endpoints().get(endpoint.ref()).identity();
    }

    private DirectionRules rules(Endpoint endpoint, Direction direction) {
        return compiler.desiredState().endpoints().get(endpoint.ref()).rules(direction);
    }

    private static AllowEntry entry(EntryPeer peer, ProtocolMatch protocol, PortPrefix ports) {
        return new AllowEntry(peer, protocol, ports);
    }

    @Test
    void podsWithEqualLabelsShareAnIdentityAndTheIpcacheMapsEveryPodAddress() {
        assertEquals(identity(xb), identity(xb2));
        assertNotEquals(identity(xa), identity(ya), "same pod labels, different namespace");
        assertEquals(identity(xa), compiler.desiredState().ipcache().get(IpCidr.parse("10.0.1.1/32")));
        assertEquals(4, compiler.desiredState().ipcache().size());
        assertFalse(rules(xa, Direction.INGRESS).isolated());
    }

    @Test
    void podPeersBecomeIdentityEntriesAndRangesBecomePortPrefixes() {
        compiler.applyPolicy(policy("""
                metadata: {name: p, namespace: x}
                spec:
                  podSelector: {matchLabels: {pod: a}}
                  ingress:
                  - from: [{podSelector: {matchLabels: {pod: b}}}]
                    ports: [{port: 80, endPort: 96}, {protocol: UDP}]
                  - from: [{namespaceSelector: {matchLabels: {team: red}}}]
                """));
        EntryPeer b = new EntryPeer.Identity(identity(xb));
        EntryPeer red = new EntryPeer.Identity(identity(ya));
        assertEquals(new TreeSet<>(Set.of(
                        entry(b, ProtocolMatch.TCP, new PortPrefix(80, 12)),
                        entry(b, ProtocolMatch.TCP, PortPrefix.single(96)),
                        entry(b, ProtocolMatch.UDP, PortPrefix.ALL),
                        entry(red, ProtocolMatch.ANY, PortPrefix.ALL))),
                rules(xa, Direction.INGRESS).entries());
        assertFalse(rules(xa, Direction.EGRESS).isolated());
        assertFalse(rules(xb, Direction.INGRESS).isolated());
    }

    @Test
    void ipBlocksBecomeDisjointPrefixesWithoutTheExceptions() {
        compiler.applyPolicy(policy("""
                metadata: {name: p, namespace: x}
                spec:
                  podSelector: {matchLabels: {pod: a}}
                  egress: [{to: [{ipBlock: {cidr: 10.0.0.0/22, except: [10.0.1.0/24]}}], ports: [{port: 443}]}]
                  policyTypes: [Egress]
                """));
        Set<IpCidr> prefixes = new TreeSet<>();
        rules(xa, Direction.EGRESS).entries().forEach(e -> prefixes.add(((EntryPeer.Cidr) e.peer()).cidr()));
        assertEquals(new TreeSet<>(Set.of(IpCidr.parse("10.0.0.0/24"), IpCidr.parse("10.0.2.0/23"))), prefixes);
    }

    @Test
    void egressNamedPortsBecomePerPodHostEntriesBecausePodsOfOneIdentityMayDiffer() {
        compiler.applyPolicy(policy("""
                metadata: {name: p, namespace: x}
                spec:
                  podSelector: {matchLabels: {pod: a}}
                  egress: [{to: [{podSelector: {matchLabels: {pod: b}}}], ports: [{port: http}]}]
                  policyTypes: [Egress]
                """));
        assertEquals(new TreeSet<>(Set.of(
                        entry(new EntryPeer.Cidr(IpCidr.parse("10.0.1.2/32")), ProtocolMatch.TCP, PortPrefix.single(8080)),
                        entry(new EntryPeer.Cidr(IpCidr.parse("10.0.1.4/32")), ProtocolMatch.TCP, PortPrefix.single(8081)))),
                rules(xa, Direction.EGRESS).entries());
        DesiredState state = compiler.desiredState();
        assertTrue(DesiredStateLookup.allowed(state, xa, xb, 8080, Protocol.TCP));
        assertFalse(DesiredStateLookup.allowed(state, xa, xb, 8081, Protocol.TCP));
        assertTrue(DesiredStateLookup.allowed(state, xa, xb2, 8081, Protocol.TCP));
    }

    @Test
    void cidrEntriesAreClosedUnderLongestPrefixMatch() {
        compiler.applyPolicy(policy("""
                metadata: {name: p, namespace: x}
                spec:
                  podSelector: {matchLabels: {pod: a}}
                  egress:
                  - {to: [{ipBlock: {cidr: 10.0.0.0/8}}], ports: [{port: 80}]}
                  - {to: [{ipBlock: {cidr: 10.1.0.0/16}}], ports: [{port: 443}]}
                  policyTypes: [Egress]
                """));
        EntryPeer inner = new EntryPeer.Cidr(IpCidr.parse("10.1.0.0/16"));
        assertTrue(rules(xa, Direction.EGRESS).entries().contains(entry(inner, ProtocolMatch.TCP, PortPrefix.single(80))),
                "the /8 rule is repeated under the /16 so an LPM hit on the /16 still allows port 80");
        DesiredState state = compiler.desiredState();
        ExternalAddress inside = ExternalAddress.parse("10.1.2.3");
        assertTrue(DesiredStateLookup.allowed(state, xa, inside, 80, Protocol.TCP));
        assertTrue(DesiredStateLookup.allowed(state, xa, inside, 443, Protocol.TCP));
        assertFalse(DesiredStateLookup.allowed(state, xa, ExternalAddress.parse("10.2.0.1"), 443, Protocol.TCP));
    }

    @Test
    void policyChangesTouchOnlyTheSelectedEndpoints() {
        DesiredState before = compiler.desiredState();
        CompilationDelta delta = compiler.applyPolicy(policy("""
                metadata: {name: p, namespace: x}
                spec:
                  podSelector: {matchLabels: {pod: b}}
                  ingress: [{from: [{podSelector: {matchLabels: {pod: a}}}]}]
                """));
        assertEquals(List.of(xb.ref(), xb2.ref()), delta.endpoints().stream().map(EndpointDelta::endpoint).toList());
        EndpointDelta xbDelta = delta.endpoints().getFirst();
        assertEquals(EndpointDelta.Change.UPDATED, xbDelta.change());
        assertFalse(xbDelta.ingress().isolatedBefore());
        assertTrue(xbDelta.ingress().isolatedAfter());
        assertEquals(Set.of(entry(new EntryPeer.Identity(identity(xa)), ProtocolMatch.ANY, PortPrefix.ALL)),
                xbDelta.ingress().added());
        assertTrue(xbDelta.egress().isEmpty());
        assertEquals(compiler.desiredState(), delta.applyTo(before));

        assertTrue(compiler.applyPolicy(policy("""
                metadata: {name: p, namespace: x}
                spec:
                  podSelector: {matchLabels: {pod: b}}
                  ingress: [{from: [{podSelector: {matchLabels: {pod: a}}}]}]
                """)).isEmpty(), "re-applying the same policy changes nothing");

        DesiredState beforeDelete = compiler.desiredState();
        CompilationDelta deleted = compiler.deletePolicy(new ObjectRef("x", "p"));
        assertEquals(2, deleted.endpoints().size());
        assertEquals(compiler.desiredState(), deleted.applyTo(beforeDelete));
        assertEquals(before, compiler.desiredState());
        assertTrue(compiler.deletePolicy(new ObjectRef("x", "p")).isEmpty());
    }

    @Test
    void aPodLabelChangeUpdatesThePodItsIdentityAndThePoliciesReferringToIt() {
        compiler.applyPolicy(policy("""
                metadata: {name: p, namespace: x}
                spec:
                  podSelector: {matchLabels: {pod: a}}
                  ingress: [{from: [{podSelector: {matchLabels: {role: client}}}]}]
                """));
        int oldIdentity = identity(xb);
        DesiredState before = compiler.desiredState();
        CompilationDelta delta = compiler.putEndpoint(xb.withLabels(labels("pod=b", "role=client")));
        int newIdentity = identity(xb);
        assertNotEquals(oldIdentity, newIdentity);
        assertEquals(newIdentity, delta.ipcacheUpserts().get(IpCidr.parse("10.0.1.2/32")));
        EndpointDelta xaDelta = delta.endpoints().stream().filter(d -> d.endpoint().equals(xa.ref())).findFirst().orElseThrow();
        assertEquals(Set.of(entry(new EntryPeer.Identity(newIdentity), ProtocolMatch.ANY, PortPrefix.ALL)),
                xaDelta.ingress().added());
        assertEquals(compiler.desiredState(), delta.applyTo(before));
        assertEquals(compiler.compileAll(), compiler.desiredState());
        assertEquals(1, identities.references(IdentityKey.of(xb2, compiler.state().namespaceLabels("x"))),
                "x/b2 keeps the old label set alive");
    }

    @Test
    void aNamespaceLabelChangeReachesPoliciesSelectingByNamespace() {
        compiler.applyPolicy(policy("""
                metadata: {name: p, namespace: x}
                spec:
                  podSelector: {matchLabels: {pod: a}}
                  ingress: [{from: [{namespaceSelector: {matchLabels: {team: blue}}}]}]
                """));
        assertFalse(DesiredStateLookup.allowed(compiler.desiredState(), ya, xa, 80, Protocol.TCP));
        DesiredState before = compiler.desiredState();
        CompilationDelta delta = compiler.putNamespace(Fixtures.namespace("y", "team=blue"));
        assertTrue(DesiredStateLookup.allowed(compiler.desiredState(), ya, xa, 80, Protocol.TCP));
        assertEquals(compiler.desiredState(), delta.applyTo(before));
        assertEquals(compiler.compileAll(), compiler.desiredState());
    }

    @Test
    void removingAnEndpointRemovesItsRulesAndAddresses() {
        DesiredState before = compiler.desiredState();
        CompilationDelta delta = compiler.removeEndpoint(ya.ref());
        assertEquals(EndpointDelta.Change.REMOVED, delta.endpoints().getFirst().change());
        assertEquals(Set.of(IpCidr.parse("10.0.2.1/32")), delta.ipcacheRemovals());
        assertEquals(compiler.desiredState(), delta.applyTo(before));
        assertTrue(identities.lookup(IdentityKey.of(ya, compiler.state().namespaceLabels("y"))).isEmpty(),
                "its identity was released");
    }

    @Test
    void anInvalidPolicyIsReportedAndChangesNothing() {
        DesiredState before = compiler.desiredState();
        CompilationDelta delta = compiler.applyPolicy(policy("""
                metadata: {name: bad, namespace: x}
                spec:
                  podSelector: {}
                  ingress: [{ports: [{port: 80, endPort: 10}]}]
                """));
        assertEquals(1, delta.problems().size());
        assertTrue(delta.isEmpty());
        assertEquals(before, compiler.desiredState());
    }
}
