package dev.jute.agent.policy;

import dev.jute.dataplane.bpf.EndpointInfo;
import dev.jute.dataplane.bpf.IpPrefix;
import dev.jute.dataplane.bpf.PolicyKey;
import dev.jute.dataplane.bpf.PolicyPeer;
import dev.jute.dataplane.bpf.TrafficDirection;
import dev.jute.policy.Endpoint;
import dev.jute.policy.IpCidr;
import dev.jute.policy.Namespace;
import dev.jute.policy.ObjectRef;
import dev.jute.policy.Protocol;
import dev.jute.policy.ValidationProblem;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRuleBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeerBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPortBuilder;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PolicyEnforcerTest {

    private static final InetAddress NODE = IpCidr.parseAddress("172.18.0.2");

    private RecordingSink sink;
    private List<String> reported;
    private PolicyEnforcer enforcer;
    private final Map<String, Namespace> namespaces = new HashMap<>();
    private final Map<ObjectRef, Endpoint> pods = new HashMap<>();
    private final Map<ObjectRef, NetworkPolicy> policies = new HashMap<>();

    @BeforeEach
    void setUp() {
        sink = new RecordingSink();
        reported = new ArrayList<>();
        enforcer = newEnforcer(sink);
        for (String ns : List.of("x", "y")) {
            namespaces.put(ns, Namespace.withDefaultLabels(ns));
        }
        pods.put(new ObjectRef("x", "a"), pod("x", "a", Map.of("pod", "a"), "10.0.0.1"));
        pods.put(new ObjectRef("x", "b"), pod("x", "b", Map.of("pod", "b"), "10.0.1.1"));
        pods.put(new ObjectRef("y", "c"), pod("y", "c", Map.of("pod", "c"), "10.0.1.2"));
    }

    private PolicyEnforcer newEnforcer(RecordingSink target) {
        return new PolicyEnforcer(target, (policy, problems) -> reported.add(policy + ": " + problems),
                () -> Set.of(NODE), Duration.ofMillis(200), Duration.ofMillis(50));
    }

    private static Endpoint pod(String ns, String name, Map<String, String> labels, String... ips) {
        return new Endpoint(ns, name, labels, java.util.Arrays.stream(ips).map(IpCidr::parseAddress).toList(), List.of());
    }

    private static LocalAttachment local(String container, int ifindex, String ns, String name, String ip) {
        return new LocalAttachment(container, "eth0", "jute" + container, ifindex,
                ns == null ? Optional.empty() : Optional.of(new ObjectRef(ns, name)), List.of(IpCidr.parseAddress(ip)));
    }

    private void update() {
        enforcer.update(new PolicyInputs(namespaces, pods, policies));
    }

    private void put(NetworkPolicy policy) {
        policies.put(new ObjectRef(policy.getMetadata().getNamespace(), policy.getMetadata().getName()), policy);
    }

    /** Ingress to pods labelled pod=target, from pods labelled pod=from in the same namespace, on TCP port. */
    private static NetworkPolicy allowFrom(String ns, String name, String target, String from, int port) {
        return new NetworkPolicyBuilder().withNewMetadata().withNamespace(ns).withName(name).endMetadata()
                .withNewSpec().withPodSelector(selector("pod", target))
                .withIngress(new NetworkPolicyIngressRuleBuilder()
                        .withFrom(new NetworkPolicyPeerBuilder().withPodSelector(selector("pod", from)).build())
                        .withPorts(new NetworkPolicyPortBuilder().withProtocol("TCP").withPort(new IntOrString(port)).build())
                        .build())
                .withPolicyTypes("Ingress").endSpec().build();
    }

    private static NetworkPolicy denyAllIngress(String ns) {
        return new NetworkPolicyBuilder().withNewMetadata().withNamespace(ns).withName("deny-all").endMetadata()
                .withNewSpec().withPodSelector(new LabelSelector()).withPolicyTypes("Ingress").endSpec().build();
    }

    private static LabelSelector selector(String key, String value) {
        LabelSelector selector = new LabelSelector();
        selector.setMatchLabels(Map.of(key, value));
        return selector;
    }

    private static IpPrefix host(String ip) {
        return IpPrefix.host(IpCidr.parseAddress(ip));
    }

    private static int indexOf(List<RecordingSink.Write> writes, String operation) {
        for (int i = 0; i < writes.size(); i++) {
            if (writes.get(i).operation().equals(operation)) {
                return i;
            }
        }
        return -1;
    }

    private static int lastIndexOf(List<RecordingSink.Write> writes, String operation) {
        for (int i = writes.size() - 1; i >= 0; i--) {
            if (writes.get(i).operation().equals(operation)) {
                return i;
            }
        }
        return -1;
    }

    private void assertIncrementalStateIsComplete() {
        sink.drain();
        enforcer.reconverge();
        List<RecordingSink.Write> writes = sink.drain().stream().filter(w -> !w.operation().equals("attach")).toList();
        assertEquals(List.of(), writes, "converging from the maps must find nothing to fix after incremental updates");
    }

    // ---------------------------------------------------------------------------------------------

    @Test
    void firstUpdateWritesEveryPodAddressAndTheNodeAsHost() {
        update();
        assertEquals(PolicyEnforcer.HOST_IDENTITY, sink.ipcache.get(IpPrefix.host(NODE)));
        assertEquals(4, sink.ipcache.size(), sink.ipcache.toString());
        assertTrue(enforcer.converged());
    }

    @Test
    void podWiredWritesEntriesThenEndpointThenAttaches() throws Exception {
        put(denyAllIngress("x"));
        put(allowFrom("x", "allow-b", "a", "b", 80));
        update();
        sink.drain();
        enforcer.wired(local("ca", 7, "x", "a", "10.0.0.1"));
        List<RecordingSink.Write> writes = sink.drain();
        int firstPolicy = indexOf(writes, "putPolicy");
        int endpoint = indexOf(writes, "putEndpoint");
        int attach = indexOf(writes, "attach");
        assertTrue(firstPolicy >= 0 && firstPolicy < endpoint && endpoint < attach, writes.toString());
        assertEquals(writes.size() - 1, attach, "attaching is the last step: " + writes);

        EndpointInfo info = sink.endpoints.get(7);
        assertTrue(info.ingressIsolated());
        assertFalse(info.egressIsolated());
        assertEquals(IpCidr.parseAddress("10.0.0.1"), info.ipv4());
        int identityOfB = sink.ipcache.get(host("10.0.1.1"));
        assertEquals(Set.of(PolicyKey.port(info.endpointId(), TrafficDirection.INGRESS, new PolicyPeer.Identity(identityOfB),
                PolicyKey.TCP, 80)), sink.policies);
        assertIncrementalStateIsComplete();
    }

    @Test
    void isolationFlipsOnOnlyAfterTheAllowEntriesAreIn() throws Exception {
        update();
        enforcer.wired(local("ca", 7, "x", "a", "10.0.0.1"));
        assertFalse(sink.endpoints.get(7).ingressIsolated());
        sink.drain();

        put(denyAllIngress("x"));
        put(allowFrom("x", "allow-b", "a", "b", 80));
        update();
        List<RecordingSink.Write> writes = sink.drain();
        assertTrue(lastIndexOf(writes, "putPolicy") < indexOf(writes, "putEndpoint"), writes.toString());
        assertTrue(sink.endpoints.get(7).ingressIsolated());
        assertIncrementalStateIsComplete();
    }

    @Test
    void aPolicyUpdateAddsNewEntriesBeforeRemovingOldOnes() throws Exception {
        put(allowFrom("x", "allow", "a", "b", 80));
        update();
        enforcer.wired(local("ca", 7, "x", "a", "10.0.0.1"));
        sink.drain();

        put(allowFrom("x", "allow", "a", "b", 8080));
        update();
        List<RecordingSink.Write> writes = sink.drain();
        assertEquals(List.of("putPolicy", "deletePolicy"), writes.stream().map(RecordingSink.Write::operation).toList(),
                writes.toString());
        assertEquals(8080, ((PolicyKey) writes.get(0).target()).portBase());
        assertEquals(80, ((PolicyKey) writes.get(1).target()).portBase());
        assertIncrementalStateIsComplete();
    }

    @Test
    void aPeerChangingIdentityGetsItsNewEntriesBeforeItsAddressMoves() throws Exception {
        put(allowFrom("x", "allow", "a", "b", 80));
        put(allowFrom("x", "allow-other", "a", "other", 80));
        update();
        enforcer.wired(local("ca", 7, "x", "a", "10.0.0.1"));
        sink.drain();

        pods.put(new ObjectRef("x", "b"), pod("x", "b", Map.of("pod", "other"), "10.0.1.1"));
        update();
        List<RecordingSink.Write> writes = sink.drain();
        int put = indexOf(writes, "putPolicy");
        int move = indexOf(writes, "putIpcache");
        int delete = indexOf(writes, "deletePolicy");
        assertTrue(put >= 0 && put < move && move < delete, writes.toString());
        int newIdentity = (Integer) writes.get(move).value();
        assertEquals(new PolicyPeer.Identity(newIdentity), ((PolicyKey) writes.get(put).target()).peer());
        assertIncrementalStateIsComplete();
    }

    @Test
    void anAddWaitsForTheFirstClusterStateThenAsksToTryAgainLater() {
        PolicyNotReadyException failure = assertThrows(PolicyNotReadyException.class,
                () -> enforcer.wired(local("ca", 7, "x", "a", "10.0.0.1")));
        assertTrue(failure.getMessage().contains("try again later"), failure.getMessage());
        assertTrue(sink.writes.isEmpty());
    }

    @Test
    void anAddWaitingForTheFirstStateProceedsWhenItArrives() throws Exception {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        PolicyEnforcer patient = new PolicyEnforcer(sink, PolicyProblemReporter.NONE, () -> Set.of(NODE),
                Duration.ofSeconds(10), Duration.ofMillis(50));
        Thread add = Thread.ofPlatform().start(() -> {
            try {
                patient.wired(local("ca", 7, "x", "a", "10.0.0.1"));
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        Thread.sleep(100);
        assertTrue(add.isAlive(), "the ADD waits");
        patient.update(new PolicyInputs(namespaces, pods, policies));
        add.join(5_000);
        assertEquals(null, failure.get());
        assertTrue(sink.attached.contains(7));
    }

    @Test
    void anUnknownPodStartsIsolatedByItsNamespacesPoliciesAndConvergesWhenItArrives() throws Exception {
        put(denyAllIngress("x"));
        put(allowFrom("x", "allow-b", "a", "b", 80));
        update();
        enforcer.wired(local("cn", 9, "x", "new", "10.0.0.9"));
        EndpointInfo failClosed = sink.endpoints.get(9);
        assertTrue(failClosed.ingressIsolated());
        assertFalse(failClosed.egressIsolated(), "no policy of x isolates egress");
        assertTrue(sink.policies.stream().noneMatch(k -> k.endpointId() == failClosed.endpointId()));

        pods.put(new ObjectRef("x", "new"), pod("x", "new", Map.of("pod", "a")));
        update();
        EndpointInfo known = sink.endpoints.get(9);
        assertTrue(known.ingressIsolated());
        assertEquals(1, sink.policies.stream().filter(k -> k.endpointId() == known.endpointId()).count());
        assertEquals(known.identity(), sink.ipcache.get(host("10.0.0.9")), "the local address, not the API's (none yet)");
        assertIncrementalStateIsComplete();
    }

    @Test
    void aPodWithoutCniArgsIsFoundByItsAddress() throws Exception {
        put(denyAllIngress("x"));
        update();
        enforcer.wired(local("cb", 8, null, null, "10.0.1.1"));
        assertTrue(sink.endpoints.get(8).ingressIsolated());
        assertEquals(sink.ipcache.get(host("10.0.1.1")), sink.endpoints.get(8).identity());
        assertIncrementalStateIsComplete();
    }

    @Test
    void podRemovalDeletesItsStateButNotAnInterfaceIndexTakenByANewPod() throws Exception {
        put(allowFrom("x", "allow", "a", "b", 80));
        update();
        enforcer.wired(local("ca", 7, "x", "a", "10.0.0.1"));
        int oldId = sink.endpoints.get(7).endpointId();
        // The index came free and a new pod's interface got it before the old pod's DEL was processed.
        enforcer.wired(local("cb", 7, "x", "b", "10.0.1.1"));
        int newId = sink.endpoints.get(7).endpointId();
        assertNotEquals(oldId, newId);
        sink.drain();
        enforcer.podRemoved("ca", "eth0", "jutaca");
        List<RecordingSink.Write> writes = sink.drain();
        assertEquals(-1, indexOf(writes, "deleteEndpoint"), writes.toString());
        assertTrue(writes.contains(new RecordingSink.Write("flushConntrack", oldId, null)), writes.toString());
        assertTrue(sink.policies.stream().noneMatch(k -> k.endpointId() == oldId));
        assertEquals(newId, sink.endpoints.get(7).endpointId());

        enforcer.podRemoved("cb", "eth0", "jutecb");
        assertTrue(sink.endpoints.isEmpty());
        assertIncrementalStateIsComplete();
    }

    @Test
    void invalidPoliciesAreReportedAndSkippedWhileTheOthersApply() throws Exception {
        NetworkPolicy invalid = new NetworkPolicyBuilder(allowFrom("x", "broken", "a", "b", 80)).editSpec()
                .withPolicyTypes("Sideways").endSpec().build();
        put(invalid);
        put(allowFrom("x", "allow", "a", "b", 80));
        update();
        enforcer.wired(local("ca", 7, "x", "a", "10.0.0.1"));
        assertEquals(1, reported.size(), reported.toString());
        assertTrue(reported.getFirst().startsWith("x/broken"), reported.toString());
        Map<ObjectRef, List<ValidationProblem>> invalidPolicies = enforcer.status().invalidPolicies();
        assertEquals(Set.of(new ObjectRef("x", "broken")), invalidPolicies.keySet());
        assertTrue(sink.endpoints.get(7).ingressIsolated(), "the valid policy applies");

        update();
        assertEquals(1, reported.size(), "an unchanged invalid policy is reported once");
        policies.remove(new ObjectRef("x", "broken"));
        update();
        assertTrue(enforcer.status().invalidPolicies().isEmpty());
    }

    @Test
    void aRestartedAgentAdoptsThePinnedStateAndWritesOnlyTheDifference() throws Exception {
        put(denyAllIngress("x"));
        put(allowFrom("x", "allow-b", "a", "b", 80));
        update();
        enforcer.wired(local("ca", 7, "x", "a", "10.0.0.1"));
        enforcer.wired(local("cb", 8, "x", "b", "10.0.1.1"));
        enforcer.wired(local("gone", 11, "x", "gone", "10.0.0.11"));
        int idOfA = sink.endpoints.get(7).endpointId();

        // The agent stops; while it is down a pod goes away and a policy changes.
        policies.remove(new ObjectRef("x", "allow-b"));
        put(allowFrom("x", "allow-b-8080", "a", "b", 8080));
        RecordingSink.Content before = sink.content();
        sink.drain();
        PolicyEnforcer restarted = newEnforcer(sink);
        restarted.restore(List.of(local("ca", 7, "x", "a", "10.0.0.1"), local("cb", 8, "x", "b", "10.0.1.1")));
        assertThrows(PolicyNotReadyException.class, () -> restarted.wired(local("cc", 12, "x", "c", "10.0.0.12")));
        assertEquals(List.of(), sink.drain(), "nothing is touched before the cluster state is in");
        assertEquals(before, sink.content());

        restarted.update(new PolicyInputs(namespaces, pods, policies));
        List<RecordingSink.Write> writes = sink.drain();
        assertEquals(idOfA, sink.endpoints.get(7).endpointId(), "endpoint ids are adopted");
        assertFalse(sink.endpoints.containsKey(11), "the vanished pod's endpoint is removed");
        int identityOfB = sink.ipcache.get(host("10.0.1.1"));
        assertEquals(Set.of(PolicyKey.port(idOfA, TrafficDirection.INGRESS, new PolicyPeer.Identity(identityOfB),
                PolicyKey.TCP, 8080)), Set.copyOf(sink.policies.stream().filter(k -> k.endpointId() == idOfA).toList()));
        assertTrue(indexOf(writes, "putPolicy") < indexOf(writes, "deletePolicy"), writes.toString());
        assertTrue(writes.contains(new RecordingSink.Write("attach", 7, null)), "programs are swapped in: " + writes);
        long unchanged = writes.stream().filter(w -> w.operation().equals("putEndpoint") && w.target().equals(8)).count();
        assertEquals(0, unchanged, "an endpoint whose state did not change is not rewritten: " + writes);
    }

    @Test
    void aFailedWriteIsRepairedByConvergingOnTheNextUpdate() throws Exception {
        update();
        enforcer.wired(local("ca", 7, "x", "a", "10.0.0.1"));
        put(denyAllIngress("x"));
        sink.failNext = new IllegalStateException("map full");
        assertThrows(IllegalStateException.class, this::update);
        assertFalse(enforcer.converged());
        update();
        assertTrue(enforcer.converged());
        assertTrue(sink.endpoints.get(7).ingressIsolated());
        assertIncrementalStateIsComplete();
    }

    @Test
    void randomChangesKeepTheMapsExactlyAtTheCompiledState() throws Exception {
        Random random = new Random(42);
        update();
        List<String> labels = List.of("a", "b", "c");
        for (int i = 0; i < 6; i++) {
            String name = "p" + i;
            pods.put(new ObjectRef("x", name), pod("x", name, Map.of("pod", labels.get(i % 3)), "10.1.0." + (i + 1)));
            enforcer.wired(local("c" + i, 20 + i, "x", name, "10.1.0." + (i + 1)));
        }
        for (int step = 0; step < 60; step++) {
            switch (random.nextInt(5)) {
                case 0 -> put(allowFrom("x", "allow" + random.nextInt(3), labels.get(random.nextInt(3)),
                        labels.get(random.nextInt(3)), 80 + random.nextInt(3)));
                case 1 -> policies.remove(new ObjectRef("x", "allow" + random.nextInt(3)));
                case 2 -> {
                    int i = random.nextInt(6);
                    pods.put(new ObjectRef("x", "p" + i), pod("x", "p" + i, Map.of("pod", labels.get(random.nextInt(3))),
                            "10.1.0." + (i + 1)));
                }
                case 3 -> {
                    if (random.nextBoolean()) {
                        put(denyAllIngress("x"));
                    } else {
                        policies.remove(new ObjectRef("x", "deny-all"));
                    }
                }
                default -> namespaces.put("x", new Namespace("x", Map.of(Namespace.NAME_LABEL, "x",
                        "env", "e" + random.nextInt(2))));
            }
            update();
            assertIncrementalStateIsComplete();
        }
    }

    @Test
    void explainUsesTheAgentsViewAndNamesTheNode() throws Exception {
        put(denyAllIngress("x"));
        put(allowFrom("x", "allow-b", "a", "b", 80));
        update();
        String allowed = enforcer.explain("x/b", "x/a", 80, Protocol.TCP);
        assertTrue(allowed.contains("ALLOWED") && allowed.contains("x/allow-b"), allowed);
        assertTrue(allowed.contains("compiled dataplane state: ALLOWED"), allowed);
        String denied = enforcer.explain("10.0.1.2", "x/a", 80, Protocol.TCP);
        assertTrue(denied.contains("DENIED"), denied);
        String fromNode = enforcer.explain("172.18.0.2", "x/a", 80, Protocol.TCP);
        assertTrue(fromNode.contains("this node's own address"), fromNode);
        assertThrows(IllegalArgumentException.class, () -> enforcer.explain("x/nobody", "x/a", 80, Protocol.TCP));
    }
}
