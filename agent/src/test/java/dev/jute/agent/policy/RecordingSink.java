package dev.jute.agent.policy;

import dev.jute.dataplane.bpf.DropCount;
import dev.jute.dataplane.bpf.EndpointInfo;
import dev.jute.dataplane.bpf.IpPrefix;
import dev.jute.dataplane.bpf.PolicyKey;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The policy maps as plain collections, recording every write in order. */
final class RecordingSink implements PolicySink {

    /** One write, in the order the enforcer made it. */
    record Write(String operation, Object target, Object value) {
        @Override
        public String toString() {
            return operation + " " + target + (value == null ? "" : " = " + value);
        }
    }

    final Map<Integer, EndpointInfo> endpoints = new HashMap<>();
    final Set<PolicyKey> policies = new LinkedHashSet<>();
    final Map<IpPrefix, Integer> ipcache = new HashMap<>();
    final Set<Integer> attached = new LinkedHashSet<>();
    final List<Write> writes = new ArrayList<>();
    final List<DropCount> drops = new ArrayList<>();
    RuntimeException failNext;

    private void record(String operation, Object target, Object value) {
        if (failNext != null) {
            RuntimeException failure = failNext;
            failNext = null;
            throw failure;
        }
        writes.add(new Write(operation, target, value));
    }

    @Override
    public void putPolicy(PolicyKey key) {
        record("putPolicy", key, null);
        policies.add(key);
    }

    @Override
    public void deletePolicy(PolicyKey key) {
        record("deletePolicy", key, null);
        policies.remove(key);
    }

    @Override
    public void putEndpoint(int hostIfindex, EndpointInfo info) {
        record("putEndpoint", hostIfindex, info);
        endpoints.put(hostIfindex, info);
    }

    @Override
    public void deleteEndpoint(int hostIfindex) {
        record("deleteEndpoint", hostIfindex, null);
        endpoints.remove(hostIfindex);
    }

    @Override
    public void putIpcache(IpPrefix prefix, int identity) {
        record("putIpcache", prefix, identity);
        ipcache.put(prefix, identity);
    }

    @Override
    public void deleteIpcache(IpPrefix prefix) {
        record("deleteIpcache", prefix, null);
        ipcache.remove(prefix);
    }

    @Override
    public void flushConntrack(int endpointId) {
        record("flushConntrack", endpointId, null);
    }

    @Override
    public void attach(int hostIfindex) {
        record("attach", hostIfindex, null);
        attached.add(hostIfindex);
    }

    @Override
    public Map<Integer, EndpointInfo> endpoints() {
        return Map.copyOf(endpoints);
    }

    @Override
    public List<PolicyKey> policies() {
        return List.copyOf(policies);
    }

    @Override
    public Map<IpPrefix, Integer> ipcache() {
        return Map.copyOf(ipcache);
    }

    @Override
    public List<DropCount> drops() {
        return List.copyOf(drops);
    }

    /** The writes since the last call. */
    List<Write> drain() {
        List<Write> drained = List.copyOf(writes);
        writes.clear();
        return drained;
    }

    /** The maps' content, for comparing two sinks. */
    record Content(Map<Integer, EndpointInfo> endpoints, Set<PolicyKey> policies, Map<IpPrefix, Integer> ipcache) {
    }

    Content content() {
        return new Content(Map.copyOf(endpoints), Set.copyOf(policies), Map.copyOf(ipcache));
    }
}
