package dev.jute.agent.policy;

import dev.jute.dataplane.bpf.EndpointInfo;
import dev.jute.dataplane.bpf.IpPrefix;
import dev.jute.dataplane.bpf.PolicyKey;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * One batch of map writes, collected first and then applied in the one order that never drops a flow
 * both the old and the new state allow (DESIGN.md §1 "converge, then apply"):
 * <ol>
 *   <li>new allow entries, so that everything the new state allows is admitted;</li>
 *   <li>endpoint entries: a direction turns isolated only now that its entries are in, and a new
 *       pod's entry comes after its policy;</li>
 *   <li>ipcache rows written: an address moves to its new identity once the entries for that
 *       identity exist;</li>
 *   <li>ipcache rows deleted;</li>
 *   <li>allow entries deleted, now that nothing needs them;</li>
 *   <li>endpoint entries of pods that are gone, then their tracked connections.</li>
 * </ol>
 * Within one batch the last write to a key wins.
 */
final class MapUpdate {

    private final Set<PolicyKey> policyPuts = new LinkedHashSet<>();
    private final Map<Integer, EndpointInfo> endpointPuts = new LinkedHashMap<>();
    private final Map<IpPrefix, Integer> ipcachePuts = new LinkedHashMap<>();
    private final Set<IpPrefix> ipcacheDeletes = new LinkedHashSet<>();
    private final Set<PolicyKey> policyDeletes = new LinkedHashSet<>();
    private final Set<Integer> endpointDeletes = new LinkedHashSet<>();
    private final Set<Integer> conntrackFlushes = new LinkedHashSet<>();

    void putPolicy(PolicyKey key) {
        policyDeletes.remove(key);
        policyPuts.add(key);
    }

    void deletePolicy(PolicyKey key) {
        policyPuts.remove(key);
        policyDeletes.add(key);
    }

    void putEndpoint(int hostIfindex, EndpointInfo info) {
        endpointDeletes.remove(hostIfindex);
        endpointPuts.put(hostIfindex, Objects.requireNonNull(info));
    }

    void deleteEndpoint(int hostIfindex) {
        endpointPuts.remove(hostIfindex);
        endpointDeletes.add(hostIfindex);
    }

    void putIpcache(IpPrefix prefix, int identity) {
        ipcacheDeletes.remove(prefix);
        ipcachePuts.put(prefix, identity);
    }

    void deleteIpcache(IpPrefix prefix) {
        ipcachePuts.remove(prefix);
        ipcacheDeletes.add(prefix);
    }

    void flushConntrack(int endpointId) {
        conntrackFlushes.add(endpointId);
    }

    boolean isEmpty() {
        return policyPuts.isEmpty() && endpointPuts.isEmpty() && ipcachePuts.isEmpty() && ipcacheDeletes.isEmpty()
               && policyDeletes.isEmpty() && endpointDeletes.isEmpty() && conntrackFlushes.isEmpty();
    }

    /** How many map writes {@link #applyTo} makes. */
    int size() {
        return policyPuts.size() + endpointPuts.size() + ipcachePuts.size() + ipcacheDeletes.size()
               + policyDeletes.size() + endpointDeletes.size() + conntrackFlushes.size();
    }

    void applyTo(PolicySink sink) {
        policyPuts.forEach(sink::putPolicy);
        endpointPuts.forEach(sink::putEndpoint);
        ipcachePuts.forEach(sink::putIpcache);
        ipcacheDeletes.forEach(sink::deleteIpcache);
        policyDeletes.forEach(sink::deletePolicy);
        endpointDeletes.forEach(sink::deleteEndpoint);
        conntrackFlushes.forEach(sink::flushConntrack);
    }

    @Override
    public String toString() {
        return "+" + policyPuts.size() + " entries, " + endpointPuts.size() + " endpoints, +" + ipcachePuts.size()
               + "/-" + ipcacheDeletes.size() + " ipcache, -" + policyDeletes.size() + " entries, -"
               + endpointDeletes.size() + " endpoints";
    }
}
