package dev.jute.policy;

import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Compiles cluster state into the dataplane's desired policy state (DESIGN.md §3 "Policy"), and
 * keeps it up to date incrementally: every change method recomputes only the endpoints the change
 * can affect and returns exactly what changed.
 *
 * <p>How a rule becomes entries, per selected endpoint and direction:
 * <ul>
 *   <li>no peers: one {@link EntryPeer.Any} entry per port spec;</li>
 *   <li>pod peers: one {@link EntryPeer.Identity} entry per identity the peer selects (selectors
 *       see nothing a pod's identity does not hold, so identity granularity is exact);</li>
 *   <li>ipBlock peers: {@link EntryPeer.Cidr} entries for {@code cidr} minus {@code except}, split
 *       into disjoint prefixes; they match pods too, by address;</li>
 *   <li>ports: a range becomes its {@link PortRange#toPrefixes() port prefixes}; no ports means
 *       {@link ProtocolMatch#ANY}; a named port is resolved on the destination pod. For ingress that
 *       is the selected endpoint itself. For egress it is each remote pod, and pods sharing an
 *       identity may number the name differently, so egress named ports compile to per-pod host
 *       prefix ({@code /32}, {@code /128}) entries; an external address never matches them.</li>
 * </ul>
 * Finally the CIDR entries are closed under longest-prefix match (see {@link DirectionRules}).
 *
 * <p>Not thread-safe: one owner applies changes in order. The {@link IdentityAllocator} may be shared.
 */
public final class PolicyCompiler {

    private final IdentityAllocator identities;
    private final ClusterState state = new ClusterState();
    /** The identity key each endpoint holds a reference on. */
    private final Map<ObjectRef, IdentityKey> heldKeys = new HashMap<>();
    private final SortedMap<ObjectRef, EndpointRules> compiled = new TreeMap<>();
    private SortedMap<IpCidr, Integer> ipcache = new TreeMap<>();

    public PolicyCompiler(IdentityAllocator identities) {
        this.identities = Objects.requireNonNull(identities, "identities");
    }

    /** The state the compiler works from. Read it (e.g. for a {@link PolicyEvaluator}); change it only through this compiler. */
    public ClusterState state() {
        return state;
    }

    /** The reference evaluator over the same state, for explanations. */
    public PolicyEvaluator evaluator() {
        return new PolicyEvaluator(state);
    }

    /** The incrementally maintained desired state. */
    public DesiredState desiredState() {
        return new DesiredState(compiled, ipcache);
    }

    /** The desired state compiled from scratch (changes nothing): what {@link #desiredState()} must always equal. */
    public DesiredState compileAll() {
        Pass pass = new Pass();
        SortedMap<ObjectRef, EndpointRules> all = new TreeMap<>();
        for (Endpoint endpoint : state.endpoints()) {
            all.put(endpoint.ref(), compile(endpoint, pass));
        }
        return new DesiredState(all, computeIpcache());
    }

    // ---- changes -------------------------------------------------------------------------------

    /** Adds a namespace or replaces its labels. */
    public CompilationDelta putNamespace(Namespace namespace) {
        Map<String, String> before = state.namespaceLabels(namespace.name());
        state.putNamespace(namespace);
        return namespaceLabelsChanged(namespace.name(), before);
    }

    /** Forgets a namespace; its pods (normally deleted with it) then see empty namespace labels. */
    public CompilationDelta removeNamespace(String name) {
        Map<String, String> before = state.namespaceLabels(name);
        if (state.removeNamespace(name).isEmpty()) {
            return emptyDelta();
        }
        return namespaceLabelsChanged(name, before);
    }

    private CompilationDelta namespaceLabelsChanged(String namespace, Map<String, String> labelsBefore) {
        Map<String, String> labelsAfter = state.namespaceLabels(namespace);
        if (labelsBefore.equals(labelsAfter)) {
            return emptyDelta();
        }
        Function<String, Map<String, String>> before = n -> n.equals(namespace) ? labelsBefore : state.namespaceLabels(n);
        Function<String, Map<String, String>> after = state::namespaceLabels;
        Set<ObjectRef> affected = new HashSet<>();
        for (Endpoint pod : state.endpointsIn(namespace)) {
            rehold(pod);
            affected.add(pod.ref());
            affected.addAll(referencingSelections(pod, before));
            affected.addAll(referencingSelections(pod, after));
        }
        return recompute(affected, List.of());
    }

    /** Adds a pod or replaces it (labels, addresses or ports changed). */
    public CompilationDelta putEndpoint(Endpoint endpoint) {
        Optional<Endpoint> before = state.putEndpoint(endpoint);
        rehold(endpoint);
        Set<ObjectRef> affected = new HashSet<>();
        affected.add(endpoint.ref());
        before.ifPresent(old -> affected.addAll(referencingSelections(old, state::namespaceLabels)));
        affected.addAll(referencingSelections(endpoint, state::namespaceLabels));
        return recompute(affected, List.of());
    }

    public CompilationDelta removeEndpoint(ObjectRef ref) {
        Optional<Endpoint> removed = state.removeEndpoint(ref);
        if (removed.isEmpty()) {
            return emptyDelta();
        }
        IdentityKey held = heldKeys.remove(ref);
        if (held != null) {
            identities.release(held);
        }
        Set<ObjectRef> affected = new HashSet<>(referencingSelections(removed.get(), state::namespaceLabels));
        affected.add(ref);
        return recompute(affected, List.of());
    }

    /**
     * Validates and applies a policy (create or replace). An invalid policy changes nothing: the
     * delta carries only its problems and the previous version, if any, stays in force.
     */
    public CompilationDelta applyPolicy(NetworkPolicy networkPolicy) {
        PolicyReader.Result result = PolicyReader.read(networkPolicy);
        if (!result.problems().isEmpty()) {
            return CompilationDelta.rejected(result.problems());
        }
        return putPolicy(result.policy());
    }

    public CompilationDelta putPolicy(Policy policy) {
        Optional<Policy> before = state.putPolicy(policy);
        Set<ObjectRef> affected = new HashSet<>(selection(policy));
        before.ifPresent(old -> affected.addAll(selection(old)));
        return recompute(affected, List.of());
    }

    public CompilationDelta deletePolicy(ObjectRef ref) {
        Optional<Policy> removed = state.deletePolicy(ref);
        return removed.map(policy -> recompute(selection(policy), List.of())).orElseGet(this::emptyDelta);
    }

    private CompilationDelta emptyDelta() {
        return CompilationDelta.rejected(List.of());
    }

    // ---- which endpoints a change touches -------------------------------------------------------

    /** Moves the endpoint's identity reference to its current key; acquire first so an unchanged key keeps its number. */
    private void rehold(Endpoint endpoint) {
        IdentityKey key = IdentityKey.of(endpoint, state.namespaceLabels(endpoint.namespace()));
        identities.acquire(key);
        IdentityKey previous = heldKeys.put(endpoint.ref(), key);
        if (previous != null) {
            identities.release(previous);
        }
    }

    /** The endpoints a policy selects: the only ones whose compiled rules the policy contributes to. */
    private Set<ObjectRef> selection(Policy policy) {
        Set<ObjectRef> selected = new HashSet<>();
        for (Endpoint endpoint : state.endpointsIn(policy.namespace())) {
            if (policy.selects(endpoint)) {
                selected.add(endpoint.ref());
            }
        }
        return selected;
    }

    /**
     * The endpoints whose rules may mention {@code pod} (as it is described, with these namespace
     * labels): those selected by a policy with a rule whose peer matches the pod, or with an egress
     * rule that resolves a named port on every pod.
     */
    private Set<ObjectRef> referencingSelections(Endpoint pod, Function<String, Map<String, String>> namespaceLabels) {
        Set<ObjectRef> affected = new HashSet<>();
        for (Policy policy : state.policies()) {
            if (references(policy, pod, namespaceLabels)) {
                affected.addAll(selection(policy));
            }
        }
        return affected;
    }

    private static boolean references(Policy policy, Endpoint pod, Function<String, Map<String, String>> namespaceLabels) {
        for (Direction direction : Direction.values()) {
            for (PolicyRule rule : policy.rules(direction)) {
                if (rule.matchesAllPeers()) {
                    if (direction == Direction.EGRESS && rule.ports().stream().anyMatch(p -> p instanceof PortMatch.Named)) {
                        return true;
                    }
                } else if (rule.matchesPeer(pod, policy.namespace(), namespaceLabels)) {
                    return true;
                }
            }
        }
        return false;
    }

    private CompilationDelta recompute(Set<ObjectRef> affected, List<ValidationProblem> problems) {
        Pass pass = new Pass();
        List<EndpointDelta> deltas = new ArrayList<>();
        for (ObjectRef ref : new TreeSet<>(affected)) {
            EndpointRules before = compiled.get(ref);
            Optional<Endpoint> endpoint = state.endpoint(ref);
            EndpointRules after = endpoint.map(e -> compile(e, pass)).orElse(null);
            if (Objects.equals(before, after)) {
                continue;
            }
            deltas.add(EndpointDelta.between(ref, before, after));
            if (after == null) {
                compiled.remove(ref);
            } else {
                compiled.put(ref, after);
            }
        }
        SortedMap<IpCidr, Integer> newIpcache = computeIpcache();
        SortedMap<IpCidr, Integer> upserts = new TreeMap<>();
        newIpcache.forEach((prefix, identity) -> {
            if (!identity.equals(ipcache.get(prefix))) {
                upserts.put(prefix, identity);
            }
        });
        TreeSet<IpCidr> removals = new TreeSet<>(ipcache.keySet());
        removals.removeAll(newIpcache.keySet());
        ipcache = newIpcache;
        return new CompilationDelta(problems, deltas, upserts, removals);
    }

    /** Every pod address as a host prefix, to the pod's identity. With duplicate addresses the pod first in name order wins. */
    private SortedMap<IpCidr, Integer> computeIpcache() {
        SortedMap<IpCidr, Integer> result = new TreeMap<>();
        for (Endpoint endpoint : state.endpoints()) {
            int identity = identityOf(endpoint);
            for (InetAddress ip : endpoint.ips()) {
                result.putIfAbsent(IpCidr.host(ip), identity);
            }
        }
        return result;
    }

    private int identityOf(Endpoint endpoint) {
        IdentityKey key = heldKeys.get(endpoint.ref());
        OptionalInt identity = key == null ? OptionalInt.empty() : identities.lookup(key);
        return identity.orElseThrow(() -> new IllegalStateException("endpoint " + endpoint.ref() + " holds no identity"));
    }

    // ---- compiling one endpoint ----------------------------------------------------------------

    private EndpointRules compile(Endpoint endpoint, Pass pass) {
        return new EndpointRules(endpoint.ref(), identityOf(endpoint),
                compile(endpoint, Direction.INGRESS, pass), compile(endpoint, Direction.EGRESS, pass));
    }

    private DirectionRules compile(Endpoint endpoint, Direction direction, Pass pass) {
        List<Policy> isolating = state.isolatingPolicies(endpoint, direction);
        if (isolating.isEmpty()) {
            return DirectionRules.OPEN;
        }
        // Endpoints selected by the same policies get the same rules, except that ingress named
        // ports resolve on the endpoint's own container ports; the key says exactly that.
        boolean dependsOnOwnPorts = direction == Direction.INGRESS && isolating.stream()
                .anyMatch(policy -> policy.rules(direction).stream().anyMatch(PolicyCompiler::hasNamedPort));
        RulesKey key = new RulesKey(direction, isolating.stream().map(Policy::ref).toList(),
                dependsOnOwnPorts ? endpoint.ports() : List.of());
        DirectionRules cached = pass.directionRules.get(key);
        if (cached != null) {
            return cached;
        }
        Set<AllowEntry> entries = new HashSet<>();
        for (Policy policy : isolating) {
            for (PolicyRule rule : policy.rules(direction)) {
                if (direction == Direction.INGRESS && hasNamedPort(rule)) {
                    addRule(entries, endpoint, direction, policy, rule, pass);
                } else {
                    entries.addAll(pass.ruleEntries(rule, direction, () -> {
                        Set<AllowEntry> ruleEntries = new HashSet<>();
                        addRule(ruleEntries, endpoint, direction, policy, rule, pass);
                        return List.copyOf(ruleEntries);
                    }));
                }
            }
        }
        DirectionRules rules = DirectionRules.isolated(closeUnderLongestPrefixMatch(entries));
        pass.directionRules.put(key, rules);
        return rules;
    }

    private static boolean hasNamedPort(PolicyRule rule) {
        for (PortMatch port : rule.ports()) {
            if (port instanceof PortMatch.Named) {
                return true;
            }
        }
        return false;
    }

    /** What a direction's compiled rules depend on within one pass. */
    private record RulesKey(Direction direction, List<ObjectRef> policies, List<ContainerPort> ownPorts) {
    }

    private void addRule(Set<AllowEntry> entries, Endpoint endpoint, Direction direction, Policy policy,
                         PolicyRule rule, Pass pass) {
        if (rule.matchesAllPeers()) {
            addPorts(entries, List.of(EntryPeer.ANY), rule, endpoint, direction, pass.allPods(), null);
            return;
        }
        for (PeerSelector peer : rule.peers()) {
            switch (peer) {
                case PeerSelector.Pods pods -> addPorts(entries, pass.identityPeers(pods, policy.namespace()), rule,
                        endpoint, direction, pass.pods(pods, policy.namespace()), null);
                case PeerSelector.IpBlock block -> addPorts(entries, pass.blockPeers(block), rule, endpoint, direction,
                        pass.allPods(), block);
            }
        }
    }

    /**
     * Adds one entry per (peer, port spec). Egress named ports are the exception: they become host
     * prefix entries for each remote pod in {@code remotePods} that defines the name (restricted to
     * addresses inside {@code block} for an ipBlock peer).
     */
    private static void addPorts(Set<AllowEntry> entries, List<EntryPeer> peers, PolicyRule rule, Endpoint endpoint,
                                 Direction direction, List<Endpoint> remotePods, PeerSelector.IpBlock block) {
        if (rule.matchesAllPorts()) {
            for (EntryPeer peer : peers) {
                entries.add(new AllowEntry(peer, ProtocolMatch.ANY, PortPrefix.ALL));
            }
            return;
        }
        for (PortMatch port : rule.ports()) {
            ProtocolMatch protocol = ProtocolMatch.of(port.protocol());
            switch (port) {
                case PortMatch.AllPorts all -> peers.forEach(p -> entries.add(new AllowEntry(p, protocol, PortPrefix.ALL)));
                case PortMatch.Numbers numbers -> {
                    for (PortPrefix prefix : numbers.range().toPrefixes()) {
                        peers.forEach(p -> entries.add(new AllowEntry(p, protocol, prefix)));
                    }
                }
                case PortMatch.Named named when direction == Direction.INGRESS ->
                        endpoint.resolveNamedPort(named.name(), named.protocol()).ifPresent(number ->
                                peers.forEach(p -> entries.add(new AllowEntry(p, protocol, PortPrefix.single(number)))));
                case PortMatch.Named named -> {
                    for (Endpoint remote : remotePods) {
                        OptionalInt number = remote.resolveNamedPort(named.name(), named.protocol());
                        if (number.isEmpty()) {
                            continue;
                        }
                        for (InetAddress ip : remote.ips()) {
                            if (block == null || block.contains(ip)) {
                                entries.add(new AllowEntry(new EntryPeer.Cidr(IpCidr.host(ip)), protocol,
                                        PortPrefix.single(number.getAsInt())));
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * Repeats the (protocol, ports) of every CIDR entry under each longer entry prefix it contains,
     * so that the longest matching prefix alone carries every applicable entry.
     */
    static Set<AllowEntry> closeUnderLongestPrefixMatch(Set<AllowEntry> entries) {
        Map<IpCidr, Set<AllowEntry>> byPrefix = new HashMap<>();
        for (AllowEntry entry : entries) {
            if (entry.peer() instanceof EntryPeer.Cidr cidr) {
                byPrefix.computeIfAbsent(cidr.cidr(), c -> new HashSet<>()).add(entry);
            }
        }
        if (byPrefix.size() < 2) {
            return entries;
        }
        List<IpCidr> prefixes = new ArrayList<>(byPrefix.keySet());
        prefixes.sort(Comparator.comparingInt(IpCidr::prefixLength));
        Set<AllowEntry> closed = new HashSet<>(entries);
        for (int i = 0; i < prefixes.size(); i++) {
            IpCidr inner = prefixes.get(i);
            // Only shorter prefixes can contain this one; the list is sorted by length.
            for (int j = 0; j < i && prefixes.get(j).prefixLength() < inner.prefixLength(); j++) {
                IpCidr outer = prefixes.get(j);
                if (outer.contains(inner)) {
                    EntryPeer innerPeer = new EntryPeer.Cidr(inner);
                    for (AllowEntry entry : byPrefix.get(outer)) {
                        closed.add(new AllowEntry(innerPeer, entry.protocol(), entry.ports()));
                    }
                }
            }
        }
        return closed;
    }

    /** Per-recomputation caches: selector results do not change while one change is compiled. */
    private final class Pass {
        private final Map<PeerSelector, List<EntryPeer>> identityPeers = new IdentityHashMap<>();
        private final Map<PeerSelector, List<Endpoint>> podsOfPeer = new IdentityHashMap<>();
        private final Map<PeerSelector, List<EntryPeer>> blockPeers = new IdentityHashMap<>();
        /** Entries of rules that do not depend on the selected endpoint, per direction. */
        private final Map<PolicyRule, List<AllowEntry>> ingressRuleEntries = new IdentityHashMap<>();
        private final Map<PolicyRule, List<AllowEntry>> egressRuleEntries = new IdentityHashMap<>();
        private final Map<RulesKey, DirectionRules> directionRules = new HashMap<>();
        private Map<IdentityKey, Integer> liveIdentities;
        private List<Endpoint> allPods;

        List<AllowEntry> ruleEntries(PolicyRule rule, Direction direction, Supplier<List<AllowEntry>> compute) {
            Map<PolicyRule, List<AllowEntry>> cache = direction == Direction.INGRESS ? ingressRuleEntries : egressRuleEntries;
            List<AllowEntry> entries = cache.get(rule);
            if (entries == null) {
                entries = compute.get();
                cache.put(rule, entries);
            }
            return entries;
        }

        List<Endpoint> allPods() {
            if (allPods == null) {
                allPods = List.copyOf(state.endpoints());
            }
            return allPods;
        }

        private Map<IdentityKey, Integer> liveIdentities() {
            if (liveIdentities == null) {
                liveIdentities = new LinkedHashMap<>();
                for (IdentityKey key : new HashSet<>(heldKeys.values())) {
                    liveIdentities.put(key, identities.lookup(key).orElseThrow());
                }
            }
            return liveIdentities;
        }

        List<EntryPeer> identityPeers(PeerSelector.Pods pods, String policyNamespace) {
            return identityPeers.computeIfAbsent(pods, p -> {
                List<EntryPeer> result = new ArrayList<>();
                liveIdentities().forEach((key, identity) -> {
                    if (pods.matchesIdentity(key, policyNamespace)) {
                        result.add(new EntryPeer.Identity(identity));
                    }
                });
                return result;
            });
        }

        List<Endpoint> pods(PeerSelector.Pods pods, String policyNamespace) {
            return podsOfPeer.computeIfAbsent(pods, p -> {
                List<Endpoint> result = new ArrayList<>();
                for (Endpoint endpoint : allPods()) {
                    if (pods.matchesPod(endpoint, policyNamespace, state::namespaceLabels)) {
                        result.add(endpoint);
                    }
                }
                return result;
            });
        }

        List<EntryPeer> blockPeers(PeerSelector.IpBlock block) {
            return blockPeers.computeIfAbsent(block, b -> block.cidr().subtract(block.except()).stream()
                    .map(c -> (EntryPeer) new EntryPeer.Cidr(c)).toList());
        }
    }
}
