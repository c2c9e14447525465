package dev.jute.agent.policy;

import dev.jute.agent.Log;
import dev.jute.agent.PodAttachment;
import dev.jute.agent.PodNetworkObserver;
import dev.jute.dataplane.bpf.DropCount;
import dev.jute.dataplane.bpf.EndpointInfo;
import dev.jute.dataplane.bpf.IpPrefix;
import dev.jute.dataplane.bpf.PolicyKey;
import dev.jute.policy.CompilationDelta;
import dev.jute.policy.DesiredStateLookup;
import dev.jute.policy.Direction;
import dev.jute.policy.DirectionDelta;
import dev.jute.policy.DirectionRules;
import dev.jute.policy.Endpoint;
import dev.jute.policy.EndpointDelta;
import dev.jute.policy.EndpointRules;
import dev.jute.policy.ExternalAddress;
import dev.jute.policy.IdentityAllocator;
import dev.jute.policy.IpCidr;
import dev.jute.policy.Namespace;
import dev.jute.policy.ObjectRef;
import dev.jute.policy.Party;
import dev.jute.policy.PolicyCompiler;
import dev.jute.policy.Protocol;
import dev.jute.policy.ValidationProblem;
import dev.jute.policy.Verdict;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * NetworkPolicy enforcement on this node (DESIGN.md §3 "Policy"): feeds a {@link PolicyCompiler} with
 * the whole cluster ({@link #update}) and this node's pod interfaces ({@link #podWired},
 * {@link #podRemoved}), and writes what changes into the BPF maps through a {@link PolicySink}.
 *
 * <p><b>Which pods.</b> Every pod of the cluster gets an identity and ipcache rows for its addresses;
 * only pods with an interface here get endpoint and allow entries. A local interface belongs to the
 * pod CNI_ARGS named, or else to the pod whose API addresses include one of its own. For a local pod the
 * interface's addresses win over the API's (during ADD the API has none yet), and its last known labels
 * stay in force until its interface is removed, even when its API object is already gone.
 *
 * <p><b>Fail closed.</b> A local interface whose pod is not known (yet) is isolated in each direction
 * that some policy of its namespace (of any namespace, when even that is unknown) isolates, with no
 * allow entry; it converges as soon as the pod is known. An interface the programs see without an
 * endpoint entry drops everything.
 *
 * <p><b>Order.</b> Each change becomes one {@link MapUpdate}, applied in an order that never drops a
 * flow both the old and the new state allow. Translation is incremental: the compiler's
 * {@link CompilationDelta} says which endpoints changed and which entries they gained and lost.
 *
 * <p><b>Existing connections.</b> When a policy change removes allows, connections already admitted
 * keep flowing until they end or idle out of conntrack; only new connections see the new policy.
 * Kubernetes leaves this to the implementation (Cilium behaves the same way), and the upstream
 * conformance cases ("should enforce updated policy", "should stop enforcing policies after they are
 * deleted") probe new connections. Cutting them selectively needs a per-flow conntrack delete in the
 * dataplane API; flushing all of an endpoint's entries instead would also cut the replies of its
 * still-allowed connections, which is worse. A removed pod's conntrack entries are flushed.
 *
 * <p><b>Restart.</b> Pinned maps keep enforcing while no agent runs. The new agent compiles the cluster
 * once its inputs have synced, reads what the maps hold, and writes only the difference, in the same
 * order; until then ADDs wait up to {@code syncWait} and then fail with "try again later".
 *
 * <p>Thread-safe: every change runs under this object's lock, in arrival order.
 */
public final class PolicyEnforcer implements PodNetworkObserver {

    /** The node itself (identity 1): the programs always admit it into pods (kubelet probes). */
    public static final int HOST_IDENTITY = 1;

    private static final Log LOG = Log.of("policy");

    private final PolicySink sink;
    private final PolicyProblemReporter reporter;
    private final Supplier<Set<InetAddress>> nodeAddresses;
    private final Duration syncWait;
    private final Duration podWait;
    private final PolicyCompiler compiler = new PolicyCompiler(new IdentityAllocator());

    // ---- inputs as last applied -----------------------------------------------------------------
    private Map<String, Namespace> namespaces = Map.of();
    private Map<ObjectRef, Endpoint> apiPods = Map.of();
    private Map<ObjectRef, NetworkPolicy> apiPolicies = Map.of();
    /** Policies that failed validation, with their problems, as last reported. */
    private final Map<ObjectRef, List<ValidationProblem>> rejected = new TreeMap<>();
    /** The endpoints as the compiler holds them. */
    private final Map<ObjectRef, Endpoint> inCompiler = new HashMap<>();
    /** The last API version of pods with a local interface, kept while the interface lives. */
    private final Map<ObjectRef, Endpoint> lastKnownLocal = new HashMap<>();

    // ---- this node ------------------------------------------------------------------------------
    private final Map<LocalAttachment.Key, LocalEndpoint> locals = new LinkedHashMap<>();
    private Map<IpPrefix, Integer> writtenIpcache = new HashMap<>();
    private Set<InetAddress> hostAddresses = Set.of();
    private int nextEndpointId = 1;
    private boolean inputsReceived;
    private boolean converged;

    // ---- counters -------------------------------------------------------------------------------
    private final AtomicLong updates = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private final AtomicLong mapWrites = new AtomicLong();

    /**
     * @param nodeAddresses the node's own addresses, read at every update (they become identity 1)
     * @param syncWait      how long an ADD waits for the first complete cluster state
     */
    public PolicyEnforcer(PolicySink sink, PolicyProblemReporter reporter, Supplier<Set<InetAddress>> nodeAddresses,
                          Duration syncWait) {
        this(sink, reporter, nodeAddresses, syncWait, Duration.ofSeconds(1));
    }

    /** @param podWait how long an ADD waits for its Pod object when CNI_ARGS names one that is not known yet */
    PolicyEnforcer(PolicySink sink, PolicyProblemReporter reporter, Supplier<Set<InetAddress>> nodeAddresses,
                   Duration syncWait, Duration podWait) {
        this.sink = Objects.requireNonNull(sink, "sink");
        this.reporter = Objects.requireNonNull(reporter, "reporter");
        this.nodeAddresses = Objects.requireNonNull(nodeAddresses, "nodeAddresses");
        this.syncWait = Objects.requireNonNull(syncWait, "syncWait");
        this.podWait = Objects.requireNonNull(podWait, "podWait");
    }

    /** One pod interface of this node and what has been written to the maps for it. */
    private static final class LocalEndpoint {
        final LocalAttachment attachment;
        int endpointId;
        /** The pod this interface belongs to, once known (CNI_ARGS, or an API pod with its address). */
        ObjectRef pod;
        /** What the maps hold for it: null before its endpoint entry is first written. */
        EndpointInfo writtenInfo;
        final Set<PolicyKey> writtenKeys = new HashSet<>();

        LocalEndpoint(LocalAttachment attachment) {
            this.attachment = attachment;
            this.pod = attachment.pod().orElse(null);
        }

        int ifindex() {
            return attachment.hostIfindex();
        }

        @Override
        public String toString() {
            return attachment.hostInterface() + (pod == null ? "" : " (" + pod + ")");
        }
    }

    // =============================================================================================
    // start-up
    // =============================================================================================

    /**
     * The pod interfaces that exist at start-up (before any CNI request is served): their state in
     * the pinned maps is adopted, then corrected once the cluster state is in.
     */
    public synchronized void restore(List<LocalAttachment> existing) {
        if (converged) {
            throw new IllegalStateException("restore is for start-up, before the first update");
        }
        for (LocalAttachment attachment : existing) {
            locals.put(attachment.key(), new LocalEndpoint(attachment));
        }
    }

    /**
     * A complete picture of the cluster (every call replaces the previous one). The first call after
     * start adopts what the maps hold and converges them; later calls write only what changed.
     */
    public synchronized void update(PolicyInputs inputs) {
        Objects.requireNonNull(inputs, "inputs");
        updates.incrementAndGet();
        try {
            hostAddresses = Set.copyOf(nodeAddresses.get());
            if (!converged) {
                applyInputs(inputs, delta -> {
                });
                inputsReceived = true;
                converge();
            } else {
                MapUpdate batch = new MapUpdate();
                applyInputs(inputs, delta -> translate(delta, batch));
                syncHostRows(batch);
                write(batch);
            }
        } catch (RuntimeException e) {
            failures.incrementAndGet();
            // What the maps hold is no longer known exactly: the next update re-reads and converges.
            converged = false;
            LOG.error("cannot apply the cluster state to the policy maps; will converge on the next change",
                    "error", e.toString());
            throw e;
        } finally {
            notifyAll();
        }
    }

    /** Whether the maps hold the compiled cluster state (the first update has been applied). */
    public synchronized boolean converged() {
        return converged;
    }

    private void converge() {
        Map<Integer, EndpointInfo> mapEndpoints = sink.endpoints();
        Map<Integer, Set<PolicyKey>> keysById = new HashMap<>();
        for (PolicyKey key : sink.policies()) {
            keysById.computeIfAbsent(key.endpointId(), id -> new HashSet<>()).add(key);
        }
        Map<IpPrefix, Integer> mapIpcache = sink.ipcache();

        Set<Integer> usedIds = new HashSet<>();
        mapEndpoints.values().forEach(info -> usedIds.add(info.endpointId()));
        usedIds.addAll(keysById.keySet());
        nextEndpointId = Math.max(nextEndpointId, usedIds.stream().mapToInt(i -> i).max().orElse(0) + 1);

        Set<Integer> adoptedIfindexes = new HashSet<>();
        Set<Integer> adoptedIds = new HashSet<>();
        for (LocalEndpoint local : locals.values()) {
            local.writtenKeys.clear();
            local.writtenInfo = null;
            EndpointInfo info = mapEndpoints.get(local.ifindex());
            if (info != null && adoptedIds.add(info.endpointId())) {
                local.endpointId = info.endpointId();
                local.writtenInfo = info;
                local.writtenKeys.addAll(keysById.getOrDefault(info.endpointId(), Set.of()));
                adoptedIfindexes.add(local.ifindex());
            } else {
                local.endpointId = allocateEndpointId(usedIds);
            }
        }
        rebindAndRecompile(delta -> {
        });

        MapUpdate batch = new MapUpdate();
        Map<ObjectRef, EndpointRules> rules = compiler.desiredState().endpoints();
        for (LocalEndpoint local : locals.values()) {
            reprogram(local, rules, batch);
        }
        Map<IpPrefix, Integer> desiredIpcache = desiredIpcache();
        desiredIpcache.forEach((prefix, identity) -> {
            if (!identity.equals(mapIpcache.get(prefix))) {
                batch.putIpcache(prefix, identity);
            }
        });
        mapIpcache.keySet().stream().filter(p -> !desiredIpcache.containsKey(p)).forEach(batch::deleteIpcache);
        writtenIpcache = new HashMap<>(desiredIpcache);
        // What a previous agent left for interfaces that no longer exist.
        mapEndpoints.forEach((ifindex, info) -> {
            if (!adoptedIfindexes.contains(ifindex)) {
                batch.deleteEndpoint(ifindex);
                batch.flushConntrack(info.endpointId());
            }
        });
        keysById.forEach((id, keys) -> {
            if (!adoptedIds.contains(id)) {
                keys.forEach(batch::deletePolicy);
            }
        });
        write(batch);
        for (LocalEndpoint local : locals.values()) {
            // Replaces a previous agent's programs atomically; the maps stay the same.
            sink.attach(local.ifindex());
        }
        converged = true;
        LOG.info("policy maps converged", "local_endpoints", locals.size(), "pods", inCompiler.size(),
                "policies", compiler.state().policies().size(), "invalid_policies", rejected.size(),
                "writes", batch.size());
    }

    // =============================================================================================
    // pods of this node
    // =============================================================================================

    @Override
    public void podWired(PodAttachment attachment) throws InterruptedException {
        wired(LocalAttachment.of(attachment));
    }

    /** {@link #podWired} for an attachment already in policy terms. */
    public synchronized void wired(LocalAttachment attachment) throws InterruptedException {
        awaitConverged();
        if (attachment.pod().isPresent() && !apiPods.containsKey(attachment.pod().get())) {
            // The runtime usually calls us right after the Pod object was scheduled here; give the
            // informer a moment rather than start the pod fail-closed.
            long deadline = System.nanoTime() + podWait.toNanos();
            while (!apiPods.containsKey(attachment.pod().get()) && converged) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    LOG.warn("pod not known yet: its interface starts isolated by its namespace's policies",
                            "pod", attachment.pod().get(), "host", attachment.hostInterface());
                    break;
                }
                waitNanos(left);
            }
            awaitConverged();
        }
        MapUpdate batch = new MapUpdate();
        LocalEndpoint previous = locals.remove(attachment.key());
        if (previous != null) {
            // A retried ADD: the first try's interface was replaced.
            forget(previous, batch);
        }
        LocalEndpoint local = new LocalEndpoint(attachment);
        local.endpointId = allocateEndpointId(usedEndpointIds());
        locals.put(attachment.key(), local);
        try {
            rebindAndRecompile(delta -> translate(delta, batch));
            if (local.writtenInfo == null) {
                // Nothing in the compiler changed for it (unknown pod): program its fail-closed state.
                reprogram(local, local.pod == null ? Map.of() : rulesOf(local.pod), batch);
            }
            write(batch);
            sink.attach(local.ifindex());
        } catch (RuntimeException e) {
            failures.incrementAndGet();
            converged = false;
            throw e;
        }
        LOG.debug("pod policy programmed", "host", attachment.hostInterface(), "endpoint", local.endpointId,
                "pod", String.valueOf(local.pod), "ingress_isolated", local.writtenInfo.ingressIsolated(),
                "egress_isolated", local.writtenInfo.egressIsolated(), "entries", local.writtenKeys.size());
    }

    @Override
    public synchronized void podRemoved(String containerId, String ifname, String hostInterface) {
        LocalEndpoint local = locals.remove(new LocalAttachment.Key(containerId, ifname));
        if (local == null) {
            return;
        }
        if (!converged) {
            // The maps are converged from scratch later; nothing is known to be written for it.
            return;
        }
        MapUpdate batch = new MapUpdate();
        try {
            forget(local, batch);
            rebindAndRecompile(delta -> translate(delta, batch));
            write(batch);
        } catch (RuntimeException e) {
            failures.incrementAndGet();
            converged = false;
            LOG.error("cannot remove a pod's policy state; will converge on the next change", "host", hostInterface,
                    "error", e.toString());
        }
    }

    /** Schedules the removal of a local endpoint's map state. */
    private void forget(LocalEndpoint local, MapUpdate batch) {
        // The interface index may already belong to a new pod's interface: leave its entry alone.
        boolean reused = locals.values().stream().anyMatch(other -> other.ifindex() == local.ifindex());
        if (!reused && local.writtenInfo != null) {
            batch.deleteEndpoint(local.ifindex());
        }
        local.writtenKeys.forEach(batch::deletePolicy);
        local.writtenKeys.clear();
        if (local.writtenInfo != null) {
            batch.flushConntrack(local.endpointId);
        }
        local.writtenInfo = null;
    }

    private void awaitConverged() throws InterruptedException {
        long deadline = System.nanoTime() + syncWait.toNanos();
        while (!converged) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new PolicyNotReadyException(inputsReceived
                        ? "the policy maps could not be converged with the cluster state yet; try again later"
                        : "the cluster state for NetworkPolicy has not synced yet; try again later");
            }
            waitNanos(left);
        }
    }

    private void waitNanos(long nanos) throws InterruptedException {
        long millis = Math.max(1, nanos / 1_000_000);
        wait(millis);
    }

    private Set<Integer> usedEndpointIds() {
        Set<Integer> used = new HashSet<>();
        locals.values().forEach(l -> used.add(l.endpointId));
        return used;
    }

    /** Ids are handed out increasingly (so drop counters of a gone pod are not mixed with a new one's). */
    private int allocateEndpointId(Set<Integer> used) {
        while (used.contains(nextEndpointId) || nextEndpointId <= 0) {
            nextEndpointId = nextEndpointId <= 0 ? 1 : nextEndpointId + 1;
        }
        int id = nextEndpointId++;
        used.add(id);
        return id;
    }

    // =============================================================================================
    // cluster state into the compiler
    // =============================================================================================

    private void applyInputs(PolicyInputs next, Consumer<CompilationDelta> onDelta) {
        Map<String, Namespace> oldNamespaces = namespaces;
        Map<ObjectRef, NetworkPolicy> oldPolicies = apiPolicies;
        namespaces = next.namespaces();
        apiPods = next.pods();
        apiPolicies = next.policies();
        // Additions and changes before removals, so that nothing is transiently less allowed than needed.
        next.namespaces().forEach((name, namespace) -> {
            if (!namespace.equals(oldNamespaces.get(name))) {
                onDelta.accept(compiler.putNamespace(namespace));
            }
        });
        rebindAndRecompile(onDelta);
        for (var entry : new TreeMap<>(next.policies()).entrySet()) {
            NetworkPolicy old = oldPolicies.get(entry.getKey());
            if (old == null || !Objects.equals(old.getSpec(), entry.getValue().getSpec())) {
                applyPolicy(entry.getKey(), entry.getValue(), onDelta);
            }
        }
        for (ObjectRef ref : new TreeSet<>(oldPolicies.keySet())) {
            if (!next.policies().containsKey(ref)) {
                rejected.remove(ref);
                onDelta.accept(compiler.deletePolicy(ref));
            }
        }
        for (String name : new TreeSet<>(oldNamespaces.keySet())) {
            if (!next.namespaces().containsKey(name)) {
                onDelta.accept(compiler.removeNamespace(name));
            }
        }
    }

    private void applyPolicy(ObjectRef ref, NetworkPolicy policy, Consumer<CompilationDelta> onDelta) {
        CompilationDelta delta = compiler.applyPolicy(policy);
        if (delta.problems().isEmpty()) {
            if (rejected.remove(ref) != null) {
                LOG.info("NetworkPolicy is valid again", "policy", ref);
            }
            onDelta.accept(delta);
            return;
        }
        rejected.put(ref, delta.problems());
        boolean previousInForce = compiler.state().policy(ref).isPresent();
        LOG.warn("invalid NetworkPolicy skipped" + (previousInForce ? "; its previous version stays in force" : ""),
                "policy", ref, "problems", delta.problems().stream().map(ValidationProblem::toString).toList());
        try {
            reporter.invalidPolicy(ref, delta.problems());
        } catch (RuntimeException e) {
            LOG.warn("cannot report the invalid NetworkPolicy", "policy", ref, "error", e.toString());
        }
    }

    /**
     * Binds local interfaces to pods, then brings every endpoint the compiler holds in line with the
     * API pods and the local interfaces: puts first, removals last.
     */
    private void rebindAndRecompile(Consumer<CompilationDelta> onDelta) {
        Map<InetAddress, ObjectRef> apiOwners = new HashMap<>();
        apiPods.values().forEach(pod -> pod.ips().forEach(ip -> apiOwners.putIfAbsent(ip, pod.ref())));
        Map<ObjectRef, List<LocalEndpoint>> byPod = new HashMap<>();
        Map<InetAddress, ObjectRef> localOwners = new HashMap<>();
        for (LocalEndpoint local : locals.values()) {
            if (local.attachment.pod().isEmpty()) {
                // Without CNI_ARGS the pod is the one the API says has this address.
                local.pod = local.attachment.addresses().stream().map(apiOwners::get).filter(Objects::nonNull)
                        .findFirst().orElse(null);
            }
            if (local.pod != null) {
                byPod.computeIfAbsent(local.pod, p -> new ArrayList<>()).add(local);
                local.attachment.addresses().forEach(ip -> localOwners.put(ip, local.pod));
            }
        }
        lastKnownLocal.keySet().retainAll(byPod.keySet());
        Set<ObjectRef> refs = new TreeSet<>(apiPods.keySet());
        refs.addAll(byPod.keySet());
        refs.addAll(inCompiler.keySet());
        List<ObjectRef> removals = new ArrayList<>();
        for (ObjectRef ref : refs) {
            Optional<Endpoint> effective = effectiveEndpoint(ref, byPod.get(ref), localOwners);
            Endpoint current = inCompiler.get(ref);
            if (effective.isEmpty()) {
                if (current != null) {
                    removals.add(ref);
                }
            } else if (!effective.get().equals(current)) {
                inCompiler.put(ref, effective.get());
                onDelta.accept(compiler.putEndpoint(effective.get()));
            }
        }
        for (ObjectRef ref : removals) {
            inCompiler.remove(ref);
            onDelta.accept(compiler.removeEndpoint(ref));
        }
    }

    /** The pod as the compiler should see it: local interface addresses win; none if unknown. */
    private Optional<Endpoint> effectiveEndpoint(ObjectRef ref, List<LocalEndpoint> localInterfaces,
                                                 Map<InetAddress, ObjectRef> localOwners) {
        Endpoint api = apiPods.get(ref);
        if (localInterfaces != null && !localInterfaces.isEmpty()) {
            if (api != null) {
                lastKnownLocal.put(ref, api);
            } else {
                api = lastKnownLocal.get(ref);
            }
            if (api == null) {
                return Optional.empty();
            }
            Set<InetAddress> ips = new LinkedHashSet<>();
            localInterfaces.forEach(l -> ips.addAll(l.attachment.addresses()));
            return Optional.of(new Endpoint(api.namespace(), api.name(), api.labels(), List.copyOf(ips), api.ports()));
        }
        if (api == null) {
            return Optional.empty();
        }
        // An address a pod of this node holds now is not the API's stale record of an older pod.
        List<InetAddress> ips = api.ips().stream().filter(ip -> {
            ObjectRef owner = localOwners.get(ip);
            return owner == null || owner.equals(ref);
        }).toList();
        return Optional.of(ips.equals(api.ips()) ? api : new Endpoint(api.namespace(), api.name(), api.labels(), ips,
                api.ports()));
    }

    // =============================================================================================
    // compiled state into map writes
    // =============================================================================================

    /** Translates one compiler delta into writes for the local endpoints it touches and the ipcache. */
    private void translate(CompilationDelta delta, MapUpdate batch) {
        for (EndpointDelta change : delta.endpoints()) {
            for (LocalEndpoint local : locals.values()) {
                if (!change.endpoint().equals(local.pod)) {
                    continue;
                }
                if (local.writtenInfo == null || change.change() != EndpointDelta.Change.UPDATED) {
                    // New here, or its rules are gone (the pod is not known any more): program it whole.
                    reprogram(local, change.change() == EndpointDelta.Change.REMOVED ? Map.of() : rulesOf(local.pod),
                            batch);
                    continue;
                }
                applyDirection(local, Direction.INGRESS, change.ingress(), batch);
                applyDirection(local, Direction.EGRESS, change.egress(), batch);
                writeInfo(local, info(local, change.identityAfter(), change.ingress().isolatedAfter(),
                        change.egress().isolatedAfter()), batch);
            }
        }
        delta.ipcacheUpserts().forEach((cidr, identity) -> {
            IpPrefix prefix = EntryKeys.prefix(cidr);
            if (isHostAddress(cidr)) {
                return;
            }
            if (!Integer.valueOf(identity).equals(writtenIpcache.get(prefix))) {
                batch.putIpcache(prefix, identity);
                writtenIpcache.put(prefix, identity);
            }
        });
        for (IpCidr cidr : delta.ipcacheRemovals()) {
            if (isHostAddress(cidr)) {
                continue;
            }
            IpPrefix prefix = EntryKeys.prefix(cidr);
            if (writtenIpcache.remove(prefix) != null) {
                batch.deleteIpcache(prefix);
            }
        }
    }

    private void applyDirection(LocalEndpoint local, Direction direction, DirectionDelta change, MapUpdate batch) {
        for (var entry : change.added()) {
            PolicyKey key = EntryKeys.key(local.endpointId, direction, entry);
            if (local.writtenKeys.add(key)) {
                batch.putPolicy(key);
            }
        }
        for (var entry : change.removed()) {
            PolicyKey key = EntryKeys.key(local.endpointId, direction, entry);
            if (local.writtenKeys.remove(key)) {
                batch.deletePolicy(key);
            }
        }
    }

    /** Brings one local endpoint's entries and endpoint entry to what {@code rules} says, whatever they hold now. */
    private void reprogram(LocalEndpoint local, Map<ObjectRef, EndpointRules> rules, MapUpdate batch) {
        EndpointRules own = local.pod == null ? null : rules.get(local.pod);
        EndpointInfo info;
        Set<PolicyKey> desired;
        if (own != null) {
            desired = EntryKeys.keys(local.endpointId, own.ingress(), own.egress());
            info = info(local, own.identity(), own.ingress().isolated(), own.egress().isolated());
        } else {
            desired = Set.of();
            info = info(local, IdentityAllocator.WORLD, failClosed(local, Direction.INGRESS),
                    failClosed(local, Direction.EGRESS));
        }
        for (PolicyKey key : desired) {
            if (local.writtenKeys.add(key)) {
                batch.putPolicy(key);
            }
        }
        for (PolicyKey key : List.copyOf(local.writtenKeys)) {
            if (!desired.contains(key)) {
                local.writtenKeys.remove(key);
                batch.deletePolicy(key);
            }
        }
        writeInfo(local, info, batch);
    }

    private Map<ObjectRef, EndpointRules> rulesOf(ObjectRef pod) {
        EndpointRules rules = compiler.desiredState().endpoints().get(pod);
        return rules == null ? Map.of() : Map.of(pod, rules);
    }

    /** An unknown pod is isolated wherever a policy that could select it isolates. */
    private boolean failClosed(LocalEndpoint local, Direction direction) {
        var policies = local.pod == null ? compiler.state().policies() : compiler.state().policiesIn(local.pod.namespace());
        return policies.stream().anyMatch(policy -> policy.isolates(direction));
    }

    private void writeInfo(LocalEndpoint local, EndpointInfo info, MapUpdate batch) {
        if (!info.equals(local.writtenInfo)) {
            batch.putEndpoint(local.ifindex(), info);
            local.writtenInfo = info;
        }
    }

    private static EndpointInfo info(LocalEndpoint local, int identity, boolean ingressIsolated, boolean egressIsolated) {
        Inet4Address ipv4 = null;
        Inet6Address ipv6 = null;
        for (InetAddress address : local.attachment.addresses()) {
            if (address instanceof Inet4Address v4 && ipv4 == null) {
                ipv4 = v4;
            } else if (address instanceof Inet6Address v6 && ipv6 == null) {
                ipv6 = v6;
            }
        }
        return new EndpointInfo(local.endpointId, identity, ingressIsolated, egressIsolated, ipv4, ipv6);
    }

    private boolean isHostAddress(IpCidr cidr) {
        return cidr.prefixLength() == cidr.addressBits() && hostAddresses.contains(cidr.network());
    }

    /** The node's addresses as identity {@value #HOST_IDENTITY}; a pod claiming one of them does not override it. */
    private Map<IpPrefix, Integer> hostRows() {
        Map<IpPrefix, Integer> rows = new HashMap<>();
        hostAddresses.forEach(address -> rows.put(IpPrefix.host(address), HOST_IDENTITY));
        return rows;
    }

    private Map<IpPrefix, Integer> desiredIpcache() {
        Map<IpPrefix, Integer> desired = new HashMap<>();
        compiler.desiredState().ipcache().forEach((cidr, identity) -> desired.put(EntryKeys.prefix(cidr), identity));
        desired.putAll(hostRows());
        return desired;
    }

    /** Node addresses that appeared or went since the last update. */
    private void syncHostRows(MapUpdate batch) {
        Map<IpPrefix, Integer> host = hostRows();
        host.forEach((prefix, identity) -> {
            if (!identity.equals(writtenIpcache.get(prefix))) {
                batch.putIpcache(prefix, identity);
                writtenIpcache.put(prefix, identity);
            }
        });
        Map<IpPrefix, Integer> podRows = new HashMap<>();
        compiler.desiredState().ipcache().forEach((cidr, identity) -> podRows.put(EntryKeys.prefix(cidr), identity));
        for (var row : List.copyOf(writtenIpcache.entrySet())) {
            if (row.getValue() == HOST_IDENTITY && !host.containsKey(row.getKey())) {
                Integer pod = podRows.get(row.getKey());
                if (pod != null) {
                    batch.putIpcache(row.getKey(), pod);
                    writtenIpcache.put(row.getKey(), pod);
                } else {
                    batch.deleteIpcache(row.getKey());
                    writtenIpcache.remove(row.getKey());
                }
            }
        }
    }

    private void write(MapUpdate batch) {
        if (batch.isEmpty()) {
            return;
        }
        LOG.debug("policy map update", "writes", batch.toString());
        batch.applyTo(sink);
        mapWrites.addAndGet(batch.size());
    }

    // =============================================================================================
    // reading: explain, drops, status
    // =============================================================================================

    /**
     * {@code jute policy explain}: whether a connection is allowed and why, from this agent's current
     * view. Each side is {@code namespace/pod} or an IP address (a pod's, or an external one).
     */
    public synchronized String explain(String source, String destination, int port, Protocol protocol) {
        Party from = party(source);
        Party to = party(destination);
        Verdict verdict = compiler.evaluator().allowed(from, to, port, protocol);
        StringBuilder text = new StringBuilder(verdict.explain()).append(System.lineSeparator());
        boolean compiled = DesiredStateLookup.allowed(compiler.desiredState(), from, to, port, protocol);
        text.append("  compiled dataplane state: ").append(compiled ? "ALLOWED" : "DENIED");
        if (compiled != verdict.allowed()) {
            text.append(" (DISAGREES with the reference evaluator: please report this)");
        }
        if (from instanceof ExternalAddress external && hostAddresses.contains(external.address())) {
            text.append(System.lineSeparator()).append("  note: ").append(source)
                    .append(" is this node's own address: the dataplane always admits it into pods (kubelet probes)");
        }
        for (Party party : List.of(from, to)) {
            if (party instanceof Endpoint pod) {
                rejected.keySet().stream().filter(ref -> ref.namespace().equals(pod.namespace())).forEach(ref -> text
                        .append(System.lineSeparator()).append("  note: NetworkPolicy ").append(ref)
                        .append(" in the namespace of ").append(pod.ref()).append(" is invalid and not enforced"));
            }
        }
        return text.toString();
    }

    private Party party(String text) {
        if (text.contains("/")) {
            ObjectRef ref = ObjectRef.parse(text);
            return compiler.state().endpoint(ref)
                    .orElseThrow(() -> new IllegalArgumentException("pod " + ref + " is not known to this agent"));
        }
        InetAddress address = IpCidr.parseAddress(text);
        return compiler.state().endpointByIp(address).<Party>map(e -> e).orElse(new ExternalAddress(address));
    }

    /** {@code jute policy drops}: the dataplane's drop counters, with the pod each endpoint id stands for. */
    public synchronized List<EndpointDrops> drops() {
        Map<Integer, LocalEndpoint> byId = new HashMap<>();
        locals.values().forEach(l -> byId.put(l.endpointId, l));
        List<EndpointDrops> result = new ArrayList<>();
        for (DropCount count : sink.drops()) {
            LocalEndpoint local = byId.get(count.endpointId());
            String who = count.reason() == dev.jute.dataplane.bpf.DropReason.UNKNOWN_ENDPOINT
                    ? "interface " + count.endpointId()
                    : local == null ? "endpoint " + count.endpointId() + " (gone)"
                    : local.pod != null ? local.pod.toString() : local.attachment.hostInterface();
            result.add(new EndpointDrops(count.endpointId(), who, count.direction().name().toLowerCase(),
                    count.reason().name(), count.packets(), count.bytes()));
        }
        result.sort(java.util.Comparator.comparing(EndpointDrops::endpoint).thenComparing(EndpointDrops::direction)
                .thenComparing(EndpointDrops::reason));
        return result;
    }

    /** One drop counter, for {@code jute policy drops}. */
    public record EndpointDrops(int endpointId, String endpoint, String direction, String reason, long packets,
                                long bytes) {
    }

    /** What the metrics and readiness report. */
    public synchronized Status status() {
        return new Status(converged, locals.size(), inCompiler.size(), compiler.state().policies().size(),
                Map.copyOf(rejected), updates.get(), failures.get(), mapWrites.get());
    }

    /**
     * @param invalidPolicies policies skipped because they are invalid, with their problems
     * @param failures        updates or pod changes whose map writes failed (each is retried by converging)
     */
    public record Status(boolean converged, int localEndpoints, int pods, int policies,
                         Map<ObjectRef, List<ValidationProblem>> invalidPolicies, long updates, long failures,
                         long mapWrites) {
    }

    /**
     * Forgets what it believes the maps hold and converges against what they really hold, with the
     * current inputs. After correct incremental updates this writes nothing (tests rely on that).
     */
    synchronized void reconverge() {
        converge();
    }
}
