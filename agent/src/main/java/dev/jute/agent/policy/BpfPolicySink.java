package dev.jute.agent.policy;

import dev.jute.dataplane.bpf.DropCount;
import dev.jute.dataplane.bpf.EndpointInfo;
import dev.jute.dataplane.bpf.IpPrefix;
import dev.jute.dataplane.bpf.PolicyDataplane;
import dev.jute.dataplane.bpf.PolicyEntry;
import dev.jute.dataplane.bpf.PolicyKey;

import java.util.List;
import java.util.Map;

/** The real sink: the pinned BPF maps and tc programs of a {@link PolicyDataplane}. */
public final class BpfPolicySink implements PolicySink {

    private final PolicyDataplane dataplane;

    public BpfPolicySink(PolicyDataplane dataplane) {
        this.dataplane = dataplane;
    }

    @Override
    public void putPolicy(PolicyKey key) {
        dataplane.maps().putPolicy(key);
    }

    @Override
    public void deletePolicy(PolicyKey key) {
        dataplane.maps().deletePolicy(key);
    }

    @Override
    public void putEndpoint(int hostIfindex, EndpointInfo info) {
        dataplane.maps().putEndpoint(hostIfindex, info);
    }

    @Override
    public void deleteEndpoint(int hostIfindex) {
        dataplane.maps().deleteEndpoint(hostIfindex);
    }

    @Override
    public void putIpcache(IpPrefix prefix, int identity) {
        dataplane.maps().putIpcache(prefix, identity);
    }

    @Override
    public void deleteIpcache(IpPrefix prefix) {
        dataplane.maps().deleteIpcache(prefix);
    }

    @Override
    public void flushConntrack(int endpointId) {
        dataplane.maps().flushConntrack(endpointId);
    }

    @Override
    public void attach(int hostIfindex) {
        dataplane.attach(hostIfindex);
    }

    @Override
    public Map<Integer, EndpointInfo> endpoints() {
        return dataplane.maps().endpoints();
    }

    @Override
    public List<PolicyKey> policies() {
        return dataplane.maps().policies().stream().map(PolicyEntry::key).toList();
    }

    @Override
    public Map<IpPrefix, Integer> ipcache() {
        return dataplane.maps().ipcache();
    }

    @Override
    public List<DropCount> drops() {
        return dataplane.maps().drops();
    }
}
