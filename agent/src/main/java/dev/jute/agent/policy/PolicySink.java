package dev.jute.agent.policy;

import dev.jute.dataplane.bpf.DropCount;
import dev.jute.dataplane.bpf.EndpointInfo;
import dev.jute.dataplane.bpf.IpPrefix;
import dev.jute.dataplane.bpf.PolicyKey;

import java.util.List;
import java.util.Map;

/**
 * Where the enforcer's writes go: the policy dataplane's maps and tc attachments
 * ({@link BpfPolicySink}), or a recording fake in tests. The enforcer orders the calls so that no
 * allowed flow is ever dropped in between ({@link MapUpdate}); implementations apply each call at once.
 */
public interface PolicySink {

    void putPolicy(PolicyKey key);

    void deletePolicy(PolicyKey key);

    void putEndpoint(int hostIfindex, EndpointInfo info);

    void deleteEndpoint(int hostIfindex);

    void putIpcache(IpPrefix prefix, int identity);

    void deleteIpcache(IpPrefix prefix);

    /** Forgets the connections the endpoint's policy admitted (its pod is gone). */
    void flushConntrack(int endpointId);

    /** Puts the policy programs on a pod's host-side veth (after its endpoint entry is written). */
    void attach(int hostIfindex);

    // ---- what the maps hold, for adopting the state a previous agent left -----------------------

    Map<Integer, EndpointInfo> endpoints();

    List<PolicyKey> policies();

    Map<IpPrefix, Integer> ipcache();

    List<DropCount> drops();
}
